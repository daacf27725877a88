/* bytes.c - copies that ASan does not check (bytes.h). */
#include "bytes.h"
#include "../../arena/arena.h"

#include <stdlib.h>
#include <string.h>

#if defined(BASE_ASAN)
/* Word by word through volatile pointers: the compiler cannot turn the loop into a call of the
 * instrumented memcpy. */
__attribute__((no_sanitize_address)) void bytes_copy(void *dst, const void *src, uint64_t size)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    uint64_t i = 0;
    if (((uintptr_t)d | (uintptr_t)s) % 8 == 0)
        for (; i + 8 <= size; i += 8) *(volatile uint64_t *)(d + i) = *(const volatile uint64_t *)(s + i);
    for (; i < size; i++) d[i] = s[i];
}

__attribute__((no_sanitize_address)) bool bytes_zero(const void *p, uint64_t size)
{
    const volatile uint8_t *b = p;
    for (uint64_t i = 0; i < size; i++)
        if (b[i]) return false;
    return true;
}
#else
void bytes_copy(void *dst, const void *src, uint64_t size) { memcpy(dst, src, (size_t)size); }

bool bytes_zero(const void *p, uint64_t size)
{
    const uint64_t *w = p;
    uint64_t n = size / 8, acc = 0;
    for (uint64_t i = 0; i < n; i++) acc |= w[i];
    const uint8_t *b = p;
    for (uint64_t i = n * 8; i < size; i++) acc |= b[i];
    return acc == 0;
}
#endif

void bytes_repoison(const arena *a)
{
    BASE_UNPOISON(a->base, a->pos);
    BASE_POISON(a->base + a->pos, a->committed - a->pos);
    (void)a;
}

/* ---- the files' bytes ------------------------------------------------------------------------- */

uint8_t *bytes_room(bytes_buf *b, uint64_t n)
{
    if (b->failed) return NULL;
    if (b->size + n > b->cap) {
        uint64_t cap = b->cap ? b->cap : KB(64);
        while (cap < b->size + n) cap *= 2;
        uint8_t *d = realloc(b->data, (size_t)cap);
        if (!d) return b->failed = true, NULL;
        b->data = d;
        b->cap = cap;
    }
    uint8_t *at = b->data + b->size;
    b->size += n;
    return at;
}

void bytes_put(bytes_buf *b, const void *p, uint64_t n)
{
    uint8_t *at = n ? bytes_room(b, n) : NULL;
    if (at) bytes_copy(at, p, n);
}

bool bytes_get(bytes_cursor *c, void *out, uint64_t n)
{
    if ((uint64_t)(c->end - c->at) < n) return false;
    memcpy(out, c->at, (size_t)n);
    c->at += n;
    return true;
}

bool bytes_skip(bytes_cursor *c, uint64_t n)
{
    if ((uint64_t)(c->end - c->at) < n) return false;
    c->at += n;
    return true;
}
