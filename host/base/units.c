/* units.c - parsing and printing of sizes. */
#include "units.h"

#include <stdio.h>

units_text units_bytes(uint64_t n)
{
    static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    units_text t;
    int unit = 0;
    double v = (double)n;
    while (v >= 1024.0 && unit < 5) {
        v /= 1024.0;
        unit++;
    }
    if (unit == 0 || v == (double)(uint64_t)v)
        snprintf(t.s, sizeof(t.s), "%llu %s", (unsigned long long)v, names[unit]);
    else
        snprintf(t.s, sizeof(t.s), "%.1f %s", v, names[unit]);
    return t;
}

static int units_digit(char c, int radix)
{
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    return d < radix ? d : -1;
}

/* Parses digits from *s; stops at the first non-digit. */
static bool units_parse_digits(const char **s, int radix, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = *s;
    int d;
    if (units_digit(*p, radix) < 0) return false;
    while ((d = units_digit(*p, radix)) >= 0) {
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)radix) return false;
        v = v * (uint64_t)radix + (uint64_t)d;
        p++;
    }
    *s = p;
    *out = v;
    return true;
}

bool units_parse_u64(const char *s, uint64_t *out)
{
    int radix = 10;
    uint64_t v;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        s += 2;
    }
    if (!units_parse_digits(&s, radix, &v) || *s != 0) return false;
    *out = v;
    return true;
}

bool units_parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    if (!units_parse_digits(&s, 10, &v)) return false;
    int shift = 0;
    switch (*s) {
    case 0: break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: return false;
    }
    if (*s) {
        s++;
        if ((*s == 'i' || *s == 'I') && (s[1] == 'B' || s[1] == 'b')) s += 2; /* "MiB" */
        else if (*s == 'B' || *s == 'b') s++;                                 /* "MB" */
    }
    if (*s != 0 || (shift && v > (UINT64_MAX >> shift))) return false;
    *out = v << shift;
    return true;
}
