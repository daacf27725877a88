/* watchdog_posix.c - the watchdog thread, and SIGURG to find out where the main thread is stuck.
 * SIGURG is ignored by default and only sent for out-of-band socket data, which games do not use. */
#include "watchdog.h"
#include "clock.h"

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCHDOG_SIGNAL SIGURG
#define WATCHDOG_TICK_NS 100000000ull   /* how often the thread looks */
#define WATCHDOG_ANSWER_NS 1000000000ull /* how long it waits for the main thread's sample */
#define WATCHDOG_FRAMES 48

struct watchdog {
    pthread_t thread;
    pthread_t main;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    uint64_t limit_ns;
    atomic_uint_fast64_t calls; /* odd while the main thread is inside a call */
    const char *_Atomic call;
    atomic_int sampled;
    watchdog_sample_fn *sample;
    watchdog_report_fn *report;
    void *ctx;
    char where[512]; /* written by the handler on the main thread, read after `sampled` */
};

static watchdog *_Atomic watchdog_active; /* the one the handler serves */

static void watchdog_on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    watchdog *w = atomic_load(&watchdog_active);
    if (w && (atomic_load(&w->calls) & 1)) {
        void *raw[WATCHDOG_FRAMES];
        uintptr_t frames[WATCHDOG_FRAMES];
        int n = backtrace(raw, WATCHDOG_FRAMES);
        for (int i = 0; i < n; i++) frames[i] = (uintptr_t)raw[i];
        w->sample(w->ctx, frames, n, w->where, sizeof(w->where));
        atomic_store(&w->sampled, 1);
    }
    errno = saved;
}

/* Interrupts the main thread for a sample and reports it, unless the call ended meanwhile. */
static void watchdog_fire(watchdog *w, uint64_t calls, uint64_t ran_ns)
{
    atomic_store(&w->sampled, 0);
    w->where[0] = 0;
    if (pthread_kill(w->main, WATCHDOG_SIGNAL) != 0) return;
    uint64_t t0 = clock_now_ns();
    while (!atomic_load(&w->sampled) && clock_now_ns() - t0 < WATCHDOG_ANSWER_NS)
        clock_sleep_until(clock_now_ns() + 1000000ull);
    if (atomic_load(&w->calls) != calls) return;
    const char *where = atomic_load(&w->sampled) ? w->where : "unknown (the main thread did not answer the signal)";
    w->report(w->ctx, atomic_load(&w->call), where, (double)ran_ns / 1e9);
}

static void watchdog_wait_tick(watchdog *w)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)WATCHDOG_TICK_NS;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&w->wake, &w->lock, &until);
}

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    watchdog_watch watch = {0};
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        watchdog_wait_tick(w);
        uint64_t calls = atomic_load(&w->calls), ran_ns;
        if (w->stop || !watchdog_due(&watch, calls, clock_now_ns(), w->limit_ns, &ran_ns)) continue;
        pthread_mutex_unlock(&w->lock);
        watchdog_fire(w, calls, ran_ns);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static bool watchdog_init_sync(watchdog *w)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) return false;
    bool ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&w->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    return ok && pthread_mutex_init(&w->lock, NULL) == 0;
}

watchdog *watchdog_start(uint64_t limit_ms, watchdog_sample_fn *sample, watchdog_report_fn *report, void *ctx,
                         host_error *err)
{
    watchdog *w = calloc(1, sizeof(*w));
    if (!w || !watchdog_init_sync(w)) {
        free(w);
        return host_fail(err, "cannot start the watchdog: out of memory or threads; run without --watchdog"), NULL;
    }
    w->main = pthread_self();
    w->limit_ns = limit_ms * 1000000ull;
    w->sample = sample;
    w->report = report;
    w->ctx = ctx;
    void *warm[2];
    backtrace(warm, 2); /* loads the unwinder now, not in the handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = watchdog_on_signal;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigaction(WATCHDOG_SIGNAL, &sa, NULL);
    atomic_store(&watchdog_active, w);
    if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
        atomic_store(&watchdog_active, NULL);
        free(w);
        return host_fail(err, "cannot start the watchdog thread; run without --watchdog"), NULL;
    }
    return w;
}

void watchdog_enter(watchdog *w, const char *call)
{
    if (!w) return;
    atomic_store_explicit(&w->call, call, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->calls, 1, memory_order_release);
}

void watchdog_leave(watchdog *w)
{
    if (w) atomic_fetch_add_explicit(&w->calls, 1, memory_order_release);
}

void watchdog_stop(watchdog *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    atomic_store(&watchdog_active, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
