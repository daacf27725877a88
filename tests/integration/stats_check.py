#!/usr/bin/env python3
"""stats_check.py - reads the stats outputs of one host run and checks that they agree; the
cmocka test test_stats.c runs it and asserts exact numbers on what it prints.

    stats_check.py JSON [CSV TRACE HTML]

Checks (exit 1 with one line naming the first that fails):
  - the JSON snapshot parses and has the documented keys;
  - the CSV has one row per arena (and the heap) for every frame 0..frames-1, and its rows for the
    last frames equal each arena's history in the JSON; its rows per tag and per site give each one's
    bytes per frame, equal to the series in the JSON over the frames both hold;
  - the trace is a JSON array: one "frame" slice per frame in order, and per arena one counter
    event per frame whose "used" equals the CSV's, in the same order; timestamps never go back; a
    counter track per tag whose last values equal the tag's series;
  - the HTML report is well-formed XML with inline SVG, no scripts and nothing from the network.
Prints key=value lines: the snapshot's figures (arena.NAME.FIELD, site.FUNCTION.FIELD, tag.NAME.FIELD,
pool.NAME.FIELD, heap.FIELD; a site called from several functions is also site.FUNCTION<CALLER.FIELD,
and site.FUNCTION.callers is its call stack, callers joined by ';'), and with the CSV,
before.NAME = pushes made before the first frame."""
import csv
import json
import re
import sys
import xml.etree.ElementTree as ElementTree

ARENA_KEYS = ("name", "kind", "reserved", "committed", "used", "high_water", "frame_high_water", "pushes", "bytes",
              "frame_pushes", "frame_bytes", "bytes_popped", "resets", "padding", "failures", "history")
COUNT_KEYS = ("pushes", "bytes", "frame_pushes", "frame_bytes", "peak_bytes", "peak_frame")


def fail(msg):
    print("stats_check: " + msg)
    sys.exit(1)


def check_json(path):
    try:
        s = json.load(open(path))
    except Exception as e:
        fail("%s does not parse: %s" % (path, e))
    for key in ("schema", "reason", "frame", "frames", "t_ms", "version", "reloads", "arenas", "pools", "heap",
                "sites", "tags"):
        if key not in s:
            fail("snapshot has no '%s'" % key)
    for a in s["arenas"]:
        missing = [k for k in ARENA_KEYS if k not in a]
        if missing:
            fail("arena %s has no %s" % (a.get("name"), missing))
    seen = set()
    for site in s["sites"]:
        callers = tuple(c["function"] for c in site["callers"])
        key = (site["file"], site["line"], site["function"], callers[:1])
        if key in seen:
            fail("site %s listed twice" % (key,))
        seen.add(key)
        if site["origin"] not in ("game", "host"):
            fail("site %s has origin %s" % (key, site["origin"]))
        if len(site["series"]) > len(s["arenas"][0]["history"]["frame"]) or (site["series"] and site["series"][-1] != site["frame_bytes"]):
            fail("site %s: its series does not end with its last frame's bytes" % (key,))
    return s


def site_label(site):
    """The CSV's name of a site: "file.c:12 function < caller"."""
    base = site["file"].rsplit("/", 1)[-1]
    label = "%s:%d %s" % (base, site["line"], site["function"]) if site["line"] else site["file"] + " " + site["function"]
    return label + (" < " + site["callers"][0]["function"] if site["callers"] else "")


def print_figures(s):
    for key in ("reason", "frame", "frames", "version", "reloads", "refused"):
        print("%s=%s" % (key, s[key]))
    for a in s["arenas"]:
        for k in ARENA_KEYS[2:-1]:
            print("arena.%s.%s=%s" % (a["name"], k, a[k]))
    for site in s["sites"]:
        name = site["function"] if site["line"] else site["file"] + site["function"]
        names = [name] + (["%s<%s" % (name, site["callers"][0]["function"])] if site["callers"] else [])
        for n in names:
            for k in COUNT_KEYS + ("line", "live", "live_bytes"):
                print("site.%s.%s=%s" % (n, k, site[k]))
            print("site.%s.arena=%s" % (n, site["arena"]))
            print("site.%s.origin=%s" % (n, site["origin"]))
            print("site.%s.callers=%s" % (n, ";".join(c["function"] + "@" + c["line"] for c in site["callers"])))
    for t in s["tags"]:
        for k in COUNT_KEYS:
            print("tag.%s.%s=%s" % (t["name"], k, t[k]))
    for p in s["pools"]:
        for k in ("slot_size", "live", "slots", "high_water", "allocs", "frees", "bytes"):
            print("pool.%s.%s=%s" % (p["name"], k, p[k]))
    if s["heap"]:
        for k in ("reserved", "used", "blocks"):
            print("heap.%s=%s" % (k, s["heap"][k]))


def check_series(what, name, series, rows, frames):
    """The CSV's bytes per frame of a tag or site (rows only where it pushed) against its series."""
    by_frame = {int(r[0]): int(r[5]) for r in rows}
    tail = [by_frame.get(f, 0) for f in range(frames - len(series), frames)]
    if tail != series:
        fail("%s %s: the CSV's bytes per frame differ from the JSON series" % (what, name))


def check_csv(path, s):
    all_rows = list(csv.reader(open(path)))
    if all_rows[0] != ["frame", "kind", "name", "used", "pushes", "bytes", "high_water", "committed"]:
        fail("CSV header is %s" % all_rows[0])
    rows = [r for r in all_rows[1:] if r[1] in ("arena", "heap")]
    names = [a["name"] for a in s["arenas"] if a["history"]] + ["heap"]
    frames = s["frames"]
    if len(rows) != frames * len(names):
        fail("CSV has %d arena rows, want %d frames x %d arenas" % (len(rows), frames, len(names)))
    by_arena = {n: [] for n in names}
    for i, row in enumerate(rows):
        want_frame, want_name = i // len(names), names[i % len(names)]
        if int(row[0]) != want_frame or row[2] != want_name:
            fail("CSV row %d is %s, want frame %d arena %s" % (i + 1, row[:3], want_frame, want_name))
        by_arena[row[2]].append(row[:1] + row[2:])
    for t in s["tags"]:
        check_series("tag", t["name"], t["series"], [r for r in all_rows[1:] if r[1] == "tag" and r[2] == t["name"]], frames)
    for site in s["sites"]:
        label = site_label(site)
        check_series("site", label, site["series"], [r for r in all_rows[1:] if r[1] == "site" and r[2] == label], frames)
    print("csv.site_rows=%d" % sum(1 for r in all_rows[1:] if r[1] == "site"))
    for a in s["arenas"]:
        h = a["history"]
        if not h:
            continue
        tail = by_arena[a["name"]][-len(h["frame"]):]
        for col, key in ((0, "frame"), (2, "used"), (3, "pushes"), (4, "bytes"), (5, "high_water")):
            csv_values = [int(r[col]) for r in tail]
            if csv_values != h[key]:
                fail("arena %s: CSV %s differs from the JSON history" % (a["name"], key))
        pushed = sum(int(r[3]) for r in by_arena[a["name"]])
        print("before.%s=%d" % (a["name"], a["pushes"] - pushed))
    return by_arena


def check_trace(path, s, by_arena):
    try:
        events = json.load(open(path))
    except Exception as e:
        fail("%s does not parse: %s" % (path, e))
    if not isinstance(events, list):
        events = events.get("traceEvents", [])
    slices = [e for e in events if e.get("ph") == "X" and e.get("name") == "frame"]
    if [e["args"]["frame"] for e in slices] != list(range(s["frames"])):
        fail("trace frame slices do not number 0..%d in order" % (s["frames"] - 1))
    last_ts = -1.0
    for e in events:
        if e.get("ph") in ("X", "C"):
            if e["ts"] < last_ts:
                fail("trace time goes back at %s" % e)
            last_ts = e["ts"]
    for name, rows in by_arena.items():
        counters = [e["args"]["used"] for e in events if e.get("ph") == "C" and e.get("name") == name]
        if counters != [int(r[2]) for r in rows]:
            fail("trace counters of %s differ from the CSV" % name)
    for t in s["tags"]:
        counters = [e["args"]["bytes"] for e in events if e.get("ph") == "C" and e.get("name") == "tag " + t["name"]]
        if t["series"] and counters[-len(t["series"]):] != t["series"]:
            fail("trace counters of tag %s differ from its series" % t["name"])
    for e in events:
        if e.get("ph") == "i":
            print("marker.%s=%s" % (e["name"], e["args"].get("frame")))
    print("trace.events=%d" % len(events))


def check_html(path):
    text = open(path).read()
    body = text.replace("<!DOCTYPE html>", "", 1)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as e:
        fail("HTML report is not well-formed: %s" % e)
    if root.tag != "html" or root.find("body") is None:
        fail("HTML report has no html/body")
    if "<svg" not in text or "<script" in text:
        fail("HTML report has no inline SVG, or a script")
    refs = re.findall(r'(?:src|href)\s*=\s*["\']?(https?://[^"\' >]+)', text)
    if refs:
        fail("HTML report loads from the network: %s" % refs[0])
    print("html.svg=%d" % text.count("<svg"))


def main():
    if len(sys.argv) not in (2, 5):
        fail("usage: stats_check.py JSON [CSV TRACE HTML]")
    s = check_json(sys.argv[1])
    print_figures(s)
    if len(sys.argv) == 5:
        by_arena = check_csv(sys.argv[2], s)
        check_trace(sys.argv[3], s, by_arena)
        check_html(sys.argv[4])
    print("ok")


main()
