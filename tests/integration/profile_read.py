#!/usr/bin/env python3
"""profile_read.py - reads an allocation profile the host wrote (--alloc-profile) with real readers,
checks it and prints its stacks; the cmocka test test_stats.c asserts on what it prints.

    profile_read.py PROFILE PROTO

PROTO is pprof's profile.proto: protoc-c compiles it to a descriptor set, and Debian's
python3-protobuf decodes PROFILE with it (a pprof protobuf, gzipped or not), checking that every id
a sample or location names exists, that string 0 is "", and that every sample has one value per
sample type. A PROFILE ending in .folded, .collapsed or .txt is read as collapsed stacks instead
("root;...;leaf VALUE" lines). Prints one line per stack, root first:
    stack=ROOT;...;LEAF alloc_objects=N alloc_space=N inuse_objects=N inuse_space=N arena=A origin=O
(collapsed: stack=... value=N), then types=... and ok."""
import gzip
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def fail(msg):
    print("profile_read: " + msg)
    sys.exit(1)


def profile_class(proto):
    with tempfile.TemporaryDirectory() as tmp:
        desc = os.path.join(tmp, "profile.desc")
        subprocess.run(["protoc-c", "-o" + desc, "--proto_path=" + os.path.dirname(os.path.abspath(proto)),
                        os.path.abspath(proto)], check=True)
        files = descriptor_pb2.FileDescriptorSet()
        files.ParseFromString(open(desc, "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)
    desc = pool.FindMessageTypeByName("perftools.profiles.Profile")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def read_pprof(path, proto):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    p = profile_class(proto)()
    p.ParseFromString(data)
    s = p.string_table
    if not s or s[0] != "":
        fail("string_table[0] is not empty")
    functions = {f.id: f for f in p.function}
    locations = {l.id: l for l in p.location}
    types = [s[t.type] for t in p.sample_type]
    print("types=" + ",".join(types))
    for sample in p.sample:
        if len(sample.value) != len(types):
            fail("a sample has %d values for %d types" % (len(sample.value), len(types)))
        names = []
        for lid in sample.location_id:
            if lid not in locations:
                fail("a sample names location %d, which does not exist" % lid)
            for line in locations[lid].line:
                if line.function_id not in functions:
                    fail("location %d names function %d, which does not exist" % (lid, line.function_id))
                f = functions[line.function_id]
                names.append("%s@%s:%d" % (s[f.name], s[f.filename].rsplit("/", 1)[-1], line.line))
        labels = " ".join("%s=%s" % (s[l.key], s[l.str]) for l in sample.label)
        values = " ".join("%s=%d" % (t, v) for t, v in zip(types, sample.value))
        print("stack=%s %s %s" % (";".join(reversed(names)), values, labels))


def read_collapsed(path):
    for line in open(path):
        stack, value = line.rstrip("\n").rsplit(" ", 1)
        if not value.isdigit() or not stack:
            fail("not a collapsed-stack line: %r" % line)
        print("stack=%s value=%s" % (stack, value))


def main():
    if len(sys.argv) != 3:
        fail("usage: profile_read.py PROFILE PROTO")
    if sys.argv[1].endswith((".folded", ".collapsed", ".txt")):
        read_collapsed(sys.argv[1])
    else:
        read_pprof(sys.argv[1], sys.argv[2])
    print("ok")


main()
