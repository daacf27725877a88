/* code.h - writing into the code of a loaded library: the jumps that --old-code forward puts at the
 * entries of an old build's functions (reload/forward.h). The pages are made writable for the
 * write, executable as well (another thread may be running code on the same page), and then
 * read+execute again; the instruction cache is flushed for the range. */
#ifndef CODE_H
#define CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies n bytes to `at` inside mapped code; false when the OS refused to change the protection. */
bool code_write(uintptr_t at, const void *bytes, size_t n);

#endif
