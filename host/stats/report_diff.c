/* report_diff.c - a diff of two moments of the stats (two snapshots, a mark and now, the frames
 * around a reload): rows per arena, heap, tag and site, what grew, shrank, appeared or vanished,
 * and the terminal table of it. */
#include "report.h"
#include "../base/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_NAME_WIDTH 56

const char *const report_change_names[REPORT_CHANGES] = {"same", "grew", "shrank", "appeared", "vanished"};

void report_diff_add(report_diff *d, const char *kind, const char *name, const char *unit, bool in_a, double a,
                     bool in_b, double b)
{
    if (d->count == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 64;
        report_diff_row *rows = realloc(d->rows, sizeof(*rows) * cap);
        if (!rows) {
            d->failed = true;
            return;
        }
        d->rows = rows;
        d->cap = cap;
    }
    report_diff_row *r = &d->rows[d->count++];
    r->kind = kind;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->unit = unit;
    r->a = in_a ? a : 0;
    r->b = in_b ? b : 0;
    r->change = !in_a ? REPORT_APPEARED : !in_b ? REPORT_VANISHED : fabs(b - a) < 0.5 ? REPORT_SAME
                : b > a ? REPORT_GREW : REPORT_SHRANK;
    d->changes[r->change]++;
}

static int report_diff_order(const void *pa, const void *pb)
{
    const report_diff_row *a = pa, *b = pb;
    double da = fabs(a->b - a->a), db = fabs(b->b - b->a);
    if ((a->change == REPORT_SAME) != (b->change == REPORT_SAME)) return a->change == REPORT_SAME ? 1 : -1;
    return da < db ? 1 : da > db ? -1 : strcmp(a->name, b->name);
}

void report_diff_sort(report_diff *d)
{
    if (d->count) qsort(d->rows, d->count, sizeof(*d->rows), report_diff_order);
}

void report_diff_free(report_diff *d)
{
    free(d->rows);
    memset(d, 0, sizeof(*d));
}

/* "1.5 KiB/frame", "-200 B": a value in its unit, signed for a change. */
static void report_diff_value(char *out, size_t cap, double v, const char *unit, bool sign)
{
    uint64_t mag = (uint64_t)(fabs(v) + 0.5);
    snprintf(out, cap, "%s%s%s", sign ? (v < 0 ? "-" : "+") : "", units_bytes(mag).s, strcmp(unit, "B") ? "/f" : "");
}

void report_diff_text(report_buf *b, const report_diff *d, uint32_t rows)
{
    report_printf(b, "%-9s %-*s %12s %12s %13s  %s\n", "kind", DIFF_NAME_WIDTH, "name", "A", "B", "change", "what");
    uint32_t shown = 0;
    for (uint32_t i = 0; i < d->count && shown < rows; i++) {
        const report_diff_row *r = &d->rows[i];
        if (r->change == REPORT_SAME) continue;
        char a[48], bv[48], change[48];
        report_diff_value(a, sizeof(a), r->a, r->unit, false);
        report_diff_value(bv, sizeof(bv), r->b, r->unit, false);
        report_diff_value(change, sizeof(change), r->b - r->a, r->unit, true);
        report_printf(b, "%-9s %-*.*s %12s %12s %13s  %s\n", r->kind, DIFF_NAME_WIDTH, DIFF_NAME_WIDTH, r->name,
                      r->change == REPORT_APPEARED ? "-" : a, r->change == REPORT_VANISHED ? "-" : bv, change,
                      report_change_names[r->change]);
        shown++;
    }
    uint32_t changed = d->count - d->changes[REPORT_SAME];
    if (changed > shown) report_printf(b, "... and %u more changes\n", changed - shown);
    report_printf(b, "%u grew, %u shrank, %u appeared, %u vanished, %u the same (\"/f\": bytes per frame over the "
                     "frames each kept)\n",
                  d->changes[REPORT_GREW], d->changes[REPORT_SHRANK], d->changes[REPORT_APPEARED],
                  d->changes[REPORT_VANISHED], d->changes[REPORT_SAME]);
}
