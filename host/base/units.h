/* units.h - sizes and addresses as people type and read them. */
#ifndef UNITS_H
#define UNITS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct units_text {
    char s[32];
} units_text;

/* "64 GiB", "1.5 MiB", "100 B". */
units_text units_bytes(uint64_t n);

/* "123", "64K", "256M", "2G", "1T" (binary multiples, case-insensitive); false on anything else,
 * including overflow and an empty string. */
bool units_parse_size(const char *s, uint64_t *out);

/* Decimal or 0x-prefixed hex, no sign, no suffix; false on anything else. */
bool units_parse_u64(const char *s, uint64_t *out);

#endif
