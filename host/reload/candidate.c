/* candidate.c - a new build on its way in: copy, probe, open (candidate.h). */
#include "candidate.h"
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void candidate_refuse(candidate *c, const candidate_scene *s, const host_error *why)
{
    host_fail(&c->reason, "%s: %s", s->library, why->msg);
    c->state = CANDIDATE_REFUSED;
}

/* The copy opened in the host: its constructors run (again) and its entry point, under the guard. */
static void candidate_open(candidate *c, const candidate_scene *s)
{
    host_error err;
    if (load_open(c->copy, c->image, c->size, &c->lib, &err)) c->state = CANDIDATE_READY;
    else candidate_refuse(c, s, &err);
    candidate_lap(&c->budget, &c->budget.load_ms);
}

void candidate_begin(candidate *c, const candidate_scene *s, uint64_t number, uint64_t noticed_ns, double detect_ms)
{
    candidate_drop(c);
    memset(&c->budget, 0, sizeof(c->budget));
    c->budget.detect_ms = detect_ms;
    c->budget.mark_ns = noticed_ns;
    candidate_lap(&c->budget, &c->budget.wait_ms);
    host_error err;
    c->image = fs_read_file(s->library, &c->size, &err);
    bool copied = c->image && load_copy(s->copy_dir, number, c->image, c->size, c->copy, sizeof(c->copy), &err);
    candidate_lap(&c->budget, &c->budget.copy_ms);
    if (!copied) return candidate_refuse(c, s, &err);
    c->submitted_ns = clock_now_ns();
    if (s->probe && !probe_submit(s->probe, c->copy, s->probe_timeout_ms, &err)) return candidate_refuse(c, s, &err);
    versions_read_symbols(&c->symbols, c->image, c->size); /* meanwhile: off the swap's path */
    candidate_lap(&c->budget, &c->budget.load_ms);
    if (!s->probe) return candidate_open(c, s);
    c->state = CANDIDATE_PROBING;
}

void candidate_advance(candidate *c, const candidate_scene *s, bool wait)
{
    probe_result r;
    if (c->state != CANDIDATE_PROBING) return;
    if (wait) probe_wait(s->probe, &r);
    else if (!probe_poll(s->probe, &r)) return;
    /* the probe's own time is the probe's part; the rest since the submit waited for the frame loop */
    double since_submit = (double)(clock_now_ns() - c->submitted_ns) / 1e6;
    double probe_ms = r.ms < since_submit ? r.ms : since_submit;
    c->budget.probe_ms += probe_ms;
    c->budget.load_ms -= (double)(c->budget.mark_ns - c->submitted_ns) / 1e6; /* the symbols read during the probe */
    c->budget.mark_ns = c->submitted_ns + (uint64_t)(probe_ms * 1e6);
    candidate_lap(&c->budget, &c->budget.wait_ms);
    c->probe_restarted = r.restarted;
    host_error why;
    if (load_probe_reason(&r, c->copy, c->image, c->size, s->probe_timeout_ms, &why)) return candidate_refuse(c, s, &why);
    candidate_open(c, s);
}

void candidate_take(candidate *c, loader_lib *lib, void **image, uint64_t *size, versions_symbols *symbols)
{
    *lib = c->lib;
    *image = c->image;
    *size = c->size;
    *symbols = c->symbols;
    c->symbols.ok = false;
    c->image = NULL;
    c->copy[0] = 0;
    c->state = CANDIDATE_NONE;
}

void candidate_drop(candidate *c)
{
    if (c->state == CANDIDATE_READY) loader_close(&c->lib);
    if (c->copy[0]) fs_remove(c->copy);
    versions_symbols_free(&c->symbols);
    free(c->image);
    c->image = NULL;
    c->copy[0] = 0;
    c->state = CANDIDATE_NONE;
}
