/* report_stream.c - the per-frame outputs: CSV rows (--stats-csv) and a Chrome/Perfetto trace
 * (--trace), both written as frames end, through stdio's buffer. */
#include "report.h"

#include <string.h>

/* ---- CSV: per frame, a row per arena and the heap, and one per tag and site that pushed ------ */

void report_csv_header(FILE *f) { fputs("frame,kind,name,used,pushes,bytes,high_water,committed\n", f); }

/* A name as a CSV field: quoted, its quotes doubled. */
static void csv_name(FILE *f, const char *name)
{
    fputc('"', f);
    for (; *name; name++) {
        if (*name == '"') fputc('"', f);
        fputc(*name, f);
    }
    fputc('"', f);
}

/* Tags and sites by their bytes in the frame; only those that pushed, so the rows stay few. */
static void csv_counts(FILE *f, const report_frame *fr)
{
    const arena_stats_table *t = fr->table;
    for (uint32_t i = 0; t && i < arena_stats_tag_count(t); i++) {
        const arena_stat_window *w = &t->tags[i].window;
        if (!w->frame_pushes) continue;
        fprintf(f, "%llu,tag,", (unsigned long long)fr->frame);
        csv_name(f, arena_stats_name(t, t->tags[i].name));
        fprintf(f, ",,%llu,%llu,,\n", (unsigned long long)w->frame_pushes, (unsigned long long)w->frame_bytes);
    }
    for (uint32_t i = 0; t && i < arena_stats_site_count(t); i++) {
        const arena_stat_window *w = &t->sites[i].window;
        if (!w->frame_pushes) continue;
        char label[256];
        report_site_label(t, i, label, sizeof(label));
        fprintf(f, "%llu,site,", (unsigned long long)fr->frame);
        csv_name(f, label);
        fprintf(f, ",,%llu,%llu,,\n", (unsigned long long)w->frame_pushes, (unsigned long long)w->frame_bytes);
    }
}

void report_csv_frame(FILE *f, const report_frame *fr)
{
    for (uint32_t i = 0; i < fr->arena_count; i++) {
        const report_frame_arena *a = &fr->arenas[i];
        fprintf(f, "%llu,arena,%s,%llu,%llu,%llu,%llu,%llu\n", (unsigned long long)fr->frame, a->name,
                (unsigned long long)a->used, (unsigned long long)a->pushes, (unsigned long long)a->bytes,
                (unsigned long long)a->high_water, (unsigned long long)a->committed);
    }
    /* mimalloc does not count calls per heap: the heap row has sizes only */
    if (fr->has_heap)
        fprintf(f, "%llu,heap,heap,%llu,,,%llu,%llu\n", (unsigned long long)fr->frame,
                (unsigned long long)fr->heap_used, (unsigned long long)fr->heap_used,
                (unsigned long long)fr->heap_committed);
    csv_counts(f, fr);
}

/* ---- the trace: JSON array format, which stays readable if the host dies mid-write -------- */

#define TRACE_PID 1
#define TRACE_TID 1

void report_trace_begin(report_buf *f)
{
    report_printf(f, "[{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":\"hotblock host\"}},\n"
               "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"frames\"}}",
            TRACE_PID, TRACE_PID, TRACE_TID);
}

static void trace_counter(report_buf *f, const char *name, double ts, const char *arg, uint64_t value)
{
    report_printf(f, ",\n{\"name\":\"%s\",\"cat\":\"memory\",\"ph\":\"C\",\"ts\":%.3f,\"pid\":%d,\"args\":{\"%s\":%llu}}", name,
            ts, TRACE_PID, arg, (unsigned long long)value);
}

/* A counter whose name comes from the game (a tag): escaped. */
static void report_trace_counter(report_buf *f, const char *name, double ts, const char *arg, uint64_t value)
{
    report_buf b = {0};
    report_escape_json(&b, name);
    if (b.data) trace_counter(f, b.data, ts, arg, value);
    report_buf_free(&b);
}

void report_trace_frame(report_buf *f, const report_frame *fr)
{
    report_printf(f, ",\n{\"name\":\"frame\",\"cat\":\"frame\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%d,\"tid\":%d,"
               "\"args\":{\"frame\":%llu}}",
            fr->start_us, fr->end_us - fr->start_us, TRACE_PID, TRACE_TID, (unsigned long long)fr->frame);
    for (uint32_t i = 0; i < fr->arena_count; i++) trace_counter(f, fr->arenas[i].name, fr->end_us, "used", fr->arenas[i].used);
    if (fr->current >= 0)
        trace_counter(f, "frame high-water", fr->end_us, "bytes", fr->arenas[fr->current].high_water);
    if (fr->has_heap) trace_counter(f, "heap", fr->end_us, "used", fr->heap_used);
    /* a track per tag, from the first frame it pushed in (then every frame, so it falls to 0) */
    const arena_stats_table *t = fr->table;
    for (uint32_t i = 0; t && i < arena_stats_tag_count(t); i++) {
        if (!t->tags[i].series.bytes) continue;
        char name[96];
        snprintf(name, sizeof(name), "tag %s", arena_stats_name(t, t->tags[i].name));
        report_trace_counter(f, name, fr->end_us, "bytes", t->tags[i].window.frame_bytes);
    }
}

void report_trace_mark(report_buf *f, const char *name, double t_us, const char *args_json)
{
    report_printf(f, ",\n{\"name\":\"%s\",\"cat\":\"marker\",\"ph\":\"i\",\"s\":\"g\",\"ts\":%.3f,\"pid\":%d,\"tid\":%d,\"args\":%s}",
            name, t_us, TRACE_PID, TRACE_TID, args_json);
}

void report_trace_end(report_buf *f) { report_printf(f, "\n]\n"); }
