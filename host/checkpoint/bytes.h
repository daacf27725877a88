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

#endif
