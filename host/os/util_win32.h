/* util_win32.h - what the *_win32.c halves share: Windows error text and file-time conversion. */
#ifndef UTIL_WIN32_H
#define UTIL_WIN32_H

#include <stdint.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

typedef struct win32_text {
    char s[200];
} win32_text;

/* The system's one-line text for an error code, with the code: "Access is denied (error 5)". */
win32_text win32_error_text(DWORD code);

/* A FILETIME (100 ns steps since 1601) as nanoseconds since 1970, comparable across the OSes. */
int64_t win32_filetime_ns(FILETIME t);

/* The return addresses of a stopped context (a crash, a suspended thread), innermost first, from
 * the unwind tables (x64: every function but a leaf has one). Never allocates; returns the count. */
int win32_walk_stack(const CONTEXT *context, uintptr_t *frames, int max);

#endif
