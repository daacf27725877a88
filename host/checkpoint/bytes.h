/* bytes.h - copies of block memory that ASan must not check: arenas poison what they have not
 * handed out (padding, memory past a position), and checkpoints copy whole pages of them. */
#ifndef BYTES_H
#define BYTES_H

#include <stdbool.h>
#include <stdint.h>

void bytes_copy(void *dst, const void *src, uint64_t size);
/* True when [p, p + size) holds only zero bytes. */
bool bytes_zero(const void *p, uint64_t size);
/* Arena a's poisoning after its bytes were replaced: handed out up to pos, poisoned past it. */
struct arena;
void bytes_repoison(const struct arena *a);

/* ---- the files' bytes: a growing buffer to write, a cursor to read ------------------------------ */

typedef struct bytes_buf {
    uint8_t *data; /* malloc'd; the caller's to free */
    uint64_t size, cap;
    bool failed;   /* out of memory: every later call does nothing */
} bytes_buf;

/* n more bytes at the end, or NULL (failed). */
uint8_t *bytes_room(bytes_buf *b, uint64_t n);
void bytes_put(bytes_buf *b, const void *p, uint64_t n);

typedef struct bytes_cursor {
    const uint8_t *at, *end;
} bytes_cursor;

/* The next n bytes into out (or past them); false when fewer are left. */
bool bytes_get(bytes_cursor *c, void *out, uint64_t n);
bool bytes_skip(bytes_cursor *c, uint64_t n);

#endif
