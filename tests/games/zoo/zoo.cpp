// zoo.cpp - a C++ game whose state is objects with virtual methods, for tests/integration/test_repair.c.
//
// Classes: Named (a virtual destructor, a pure virtual name()), Animal : Named (single
// inheritance), Mover (a second polymorphic base) and Bird : Animal, Mover (multiple inheritance:
// two vptrs in every Bird). init places a Named, Animals and Birds in the persistent arena and in
// the block's heap; every update calls them through Named*, Animal* and Mover* pointers (the Mover*
// of a Bird is its second vptr) and logs the sum. ZOO_STAGE changes the builds:
//   1  the first build;
//   2  a virtual method added to Animal and to Bird, before the old ones (every vtable slot and
//      the Bird's secondary vtable move), and code in front of everything;
//   3  the functions defined in another order, and every override's result changed.
// ZOO_DESTROY: the next update destroys one heap Bird through a Named* (its virtual destructor,
// from the new code) and frees it.
#include "game_api.h"

#include <new>
#include <stdint.h>

#ifndef ZOO_STAGE
#define ZOO_STAGE 1
#endif
#ifndef ZOO_DESTROY
#define ZOO_DESTROY 0
#endif

#if ZOO_STAGE >= 2
extern "C" __attribute__((used, noinline)) int64_t zoo_padding(int64_t x)
{
    volatile int64_t v = x;
    for (int i = 0; i < 64; i++) v = v * 5 + i;
    return v;
}
#endif

static GAME_TRANSIENT const host_api *zoo_host; // for the destructor's log line; set at every call

// the results change in stage 3
#if ZOO_STAGE >= 3
#define ZOO_CHANGE 1000
#else
#define ZOO_CHANGE 0
#endif

struct Named {
    virtual ~Named() {}
    virtual const char *name() const = 0;
};

struct Animal : Named {
    int64_t legs;
    explicit Animal(int64_t l) : legs(l) {}
#if ZOO_STAGE >= 2
    virtual int64_t weight() const { return 7; } // new, before sound(): every later slot moves
#endif
    virtual int64_t sound() const { return legs + ZOO_CHANGE; }
    const char *name() const override { return "animal"; }
};

struct Mover {
    int64_t speed;
    explicit Mover(int64_t s) : speed(s) {}
    virtual ~Mover() {}
    virtual int64_t move() const { return speed; }
};

#if ZOO_STAGE >= 3
// stage 3 defines Bird's overrides out of line, in another order
struct Bird : Animal, Mover {
    Bird(int64_t l, int64_t s) : Animal(l), Mover(s) {}
    ~Bird() override { zoo_host->log("zoo destroyed a bird in stage %d", ZOO_STAGE); }
    int64_t move() const override;
    const char *name() const override;
    int64_t sound() const override;
    virtual int64_t wings() const { return 2; }
    int64_t weight() const override { return 1; }
};
int64_t Bird::move() const { return 10 * speed + ZOO_CHANGE; }
const char *Bird::name() const { return "bird"; }
int64_t Bird::sound() const { return 100 * legs + ZOO_CHANGE; }
#else
struct Bird : Animal, Mover {
    Bird(int64_t l, int64_t s) : Animal(l), Mover(s) {}
    ~Bird() override { zoo_host->log("zoo destroyed a bird in stage %d", ZOO_STAGE); }
#if ZOO_STAGE >= 2
    virtual int64_t wings() const { return 2; } // new in Bird's primary vtable: its Mover group moves
    int64_t weight() const override { return 1; }
#endif
    int64_t sound() const override { return 100 * legs; }
    const char *name() const override { return "bird"; }
    int64_t move() const override { return 10 * speed; }
};
#endif

struct zoo_state {
    uint64_t updates;
    Named *named[4];  // two Animals, two Birds: one of each in the arena and on the heap
    Animal *animals[4];
    Mover *movers[2]; // the Birds' second bases
    Bird *heap_bird;
};

template <typename T, typename... A> static T *zoo_in_arena(arena *a, A... args)
{
    return new (arena_push(a, sizeof(T), alignof(T))) T(args...);
}

template <typename T, typename... A> static T *zoo_on_heap(const host_api *host, A... args)
{
    return new (host->heap_alloc_aligned(sizeof(T), alignof(T))) T(args...);
}

static void zoo_init(game_memory *mem, const host_api *host)
{
    zoo_host = host;
    zoo_state *s = (zoo_state *)arena_push(mem->persistent, sizeof(zoo_state), alignof(zoo_state));
    Animal *a1 = zoo_in_arena<Animal>(mem->persistent, 4), *a2 = zoo_on_heap<Animal>(host, 6);
    Bird *b1 = zoo_in_arena<Bird>(mem->persistent, 2, 3), *b2 = zoo_on_heap<Bird>(host, 2, 5);
    Animal *animals[4] = {a1, a2, b1, b2};
    for (int i = 0; i < 4; i++) s->named[i] = s->animals[i] = animals[i];
    s->movers[0] = b1;
    s->movers[1] = b2;
    s->heap_bird = b2;
    mem->root = s;
    mem->root_size = sizeof(*s);
}

static int64_t zoo_weight(const Animal *a)
{
#if ZOO_STAGE >= 2
    return a->weight();
#else
    (void)a;
    return 0;
#endif
}

static game_status zoo_update(game_memory *mem, const host_api *host, const game_input *in)
{
    zoo_host = host;
    zoo_state *s = (zoo_state *)mem->root;
    s->updates++;
#if ZOO_DESTROY
    if (s->heap_bird) {
        Named *n = s->heap_bird; // the virtual destructor, through a base pointer
        void *memory = s->heap_bird;
        s->named[3] = nullptr;
        s->animals[3] = nullptr;
        s->movers[1] = nullptr;
        s->heap_bird = nullptr;
        n->~Named();
        host->heap_free(memory);
    }
#endif
    int64_t sounds = 0, moves = 0, weights = 0, names = 0;
    for (Animal *a : s->animals)
        if (a) sounds += a->sound(), weights += zoo_weight(a);
    for (Mover *m : s->movers)
        if (m) moves += m->move();
    for (Named *n : s->named)
        if (n) names += n->name()[0]; // 'a' or 'b'
    host->log("zoo stage=%d upd=%llu sounds=%lld moves=%lld weights=%lld names=%lld", ZOO_STAGE,
              (unsigned long long)s->updates, (long long)sounds, (long long)moves, (long long)weights,
              (long long)names);
    (void)in;
    return GAME_CONTINUE;
}

extern "C" GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = zoo_init, .update = zoo_update};
    (void)host_abi;
    return &api;
}
