/* base.h - the few types, size helpers and sanitizer hooks every module shares.
 *
 * Pure C11, no OS. Included by arena/, host/ and game code alike (and by C++ games: the headers a
 * game includes compile as C++20 too). */
#ifndef BASE_H
#define BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB(n) ((uint64_t)(n) << 10)
#define MB(n) ((uint64_t)(n) << 20)
#define GB(n) ((uint64_t)(n) << 30)

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(_MSC_VER)
#define BASE_ALIGNOF(T) __alignof(T)
#define BASE_LIKELY(x) (x)
#define BASE_UNLIKELY(x) (x)
#define BASE_NOINLINE __declspec(noinline)
#define BASE_NORETURN __declspec(noreturn)
#elif defined(__cplusplus)
#define BASE_ALIGNOF(T) alignof(T)
#define BASE_LIKELY(x) __builtin_expect(!!(x), 1)
#define BASE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BASE_NOINLINE __attribute__((noinline))
#define BASE_NORETURN __attribute__((noreturn))
#else
#define BASE_ALIGNOF(T) _Alignof(T)
#define BASE_LIKELY(x) __builtin_expect(!!(x), 1)
#define BASE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BASE_NOINLINE __attribute__((noinline))
#define BASE_NORETURN __attribute__((noreturn))
#endif

static inline bool size_is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Overflow-safe size arithmetic: false when the result does not fit. */
static inline bool size_add(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a > UINT64_MAX - b) return false;
    *out = a + b;
    return true;
}

static inline bool size_mul(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a) return false;
    *out = a * b;
    return true;
}

/* Rounds x up to a power-of-two alignment; false on overflow. */
static inline bool size_align_up(uint64_t x, uint64_t align, uint64_t *out)
{
    uint64_t bumped;
    if (!size_add(x, align - 1, &bumped)) return false;
    *out = bumped & ~(align - 1);
    return true;
}

/* ---- AddressSanitizer poisoning ------------------------------------------------------------
 * Arenas poison what they have not handed out, so a write past an allocation is caught. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BASE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BASE_ASAN 1
#endif

#if defined(BASE_ASAN)
#include <sanitizer/asan_interface.h>
#define BASE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define BASE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define BASE_POISON(p, n) ((void)(p), (void)(n))
#define BASE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
