#!/usr/bin/python3
"""Tests tools/data/rcc_files.py (Qt .rcc lister and extractor) on tiny .rcc files written here.

Usage: rcc_files_test.py PATH/TO/rcc_files.py WORK_DIR

The writer below follows Qt's rcc (version 3, the version GCompris' files have): header, then
the data, names and tree sections in that order, the tree numbered breadth-first with each
directory's children contiguous and sorted by Qt's name hash. It writes a stored file, a
zlib-compressed one and a non-ASCII name two directories deep. The test checks what `list`
and `extract` give, then that every truncation and a set of corruptions are refused with an
RccError (the command line: "error: FILE: ..." and exit 1, never a traceback).
"""

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import zlib

TOOL, WORK = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("rcc_files", TOOL)
rcc_files = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rcc_files)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def qt_hash(name):
    """qt_hash() of Qt's qhash.cpp, which rcc uses to sort a directory's children."""
    h = 0
    for ch in name:
        h = (h << 4) + ord(ch)
        h ^= (h & 0xF0000000) >> 23
        h &= 0x0FFFFFFF
    return h


def write_rcc(files, zlib_paths=(), zstd_paths=()):
    """The bytes of a version-3 .rcc holding `files` ({"/a/b.txt": bytes})."""
    root = {}
    for path, content in files.items():
        parts = path.strip("/").split("/")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = path
    data, names, name_offsets = bytearray(), bytearray(), {}

    def name_offset(name):
        if name not in name_offsets:
            name_offsets[name] = len(names)
            utf16 = name.encode("utf-16-be")
            names.extend(struct.pack(">HI", len(utf16) // 2, qt_hash(name)) + utf16)
        return name_offsets[name]

    # Breadth-first numbering: node 0 is the root; a directory's children are contiguous.
    order = [("", root)]
    nodes = []
    i = 0
    while i < len(order):
        name, entry = order[i]
        if isinstance(entry, dict):
            children = sorted(entry.items(), key=lambda kv: qt_hash(kv[0]))
            nodes.append((name, entry, len(order), len(children)))
            order.extend(children)
        else:
            nodes.append((name, entry, None, None))
        i += 1
    tree = bytearray()
    for name, entry, first, count in nodes:
        offset = name_offset(name) if name else 0
        if isinstance(entry, dict):
            tree += struct.pack(">IHII", offset, 2, count, first)
        else:
            content = files[entry]
            flags = 0
            if entry in zlib_paths:
                flags = 1
                content = struct.pack(">I", len(content)) + zlib.compress(content)
            elif entry in zstd_paths:
                flags = 4  # the bytes need not be real zstd: the tool must refuse the entry
            tree += struct.pack(">IHHHI", offset, flags, 0, 0, len(data))
            data.extend(struct.pack(">I", len(content)) + content)
        tree += struct.pack(">Q", 0)  # modification time
    header_size = 24
    data_at = header_size
    names_at = data_at + len(data)
    tree_at = names_at + len(names)
    header = b"qres" + struct.pack(">IIIII", 3, tree_at, data_at, names_at, 0)
    return bytes(header + data + names + tree)


def run(*args):
    return subprocess.run(["/usr/bin/python3", TOOL, *args], capture_output=True, text=True)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
files = {
    "/gcompris/src/activities/erase/resource/README": b"Files: alpaca.webp\nLicense: CC0\n",
    "/gcompris/src/activities/erase/resource/alpaca.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " +
    bytes(range(256)),
    "/gcompris/src/activities/erase/Erase.qml": b"import QtQuick 2.12\n" * 20,
    "/gcompris/caf\u00e9/na\u00efve.txt": "d\u00e9j\u00e0 vu\n".encode(),
}
good = write_rcc(files, zlib_paths={"/gcompris/src/activities/erase/Erase.qml"})
good_path = os.path.join(WORK, "good.rcc")
with open(good_path, "wb") as f:
    f.write(good)

# list: every file, its size as stored and its storage.
r = run("list", good_path)
check(r.returncode == 0, f"list exits 0 (got {r.returncode}: {r.stderr.strip()})")
listed = {line.split("\t")[2]: line.split("\t")[1] for line in r.stdout.splitlines()}
check(set(listed) == set(files), f"list gives every file once: {sorted(listed)}")
check(listed.get("/gcompris/src/activities/erase/Erase.qml") == "zlib", "zlib entry listed as zlib")
check(listed.get("/gcompris/src/activities/erase/resource/README") == "stored",
      "stored entry listed as stored")

# extract: byte-exact files, the zlib one decompressed, the non-ASCII name decoded.
out = os.path.join(WORK, "out")
r = run("extract", good_path, out, *files)
check(r.returncode == 0, f"extract exits 0 (got {r.returncode}: {r.stderr.strip()})")
for path, content in files.items():
    target = os.path.join(out, path.lstrip("/"))
    got = open(target, "rb").read() if os.path.exists(target) else None
    check(got == content, f"extract writes {path} byte for byte")

# A missing member: an error naming the file and the member, nothing written.
r = run("extract", good_path, os.path.join(WORK, "out2"), "/gcompris/nope.webp")
check(r.returncode == 1 and good_path in r.stderr and "/gcompris/nope.webp" in r.stderr
      and "Traceback" not in r.stderr, f"missing member refused clearly: {r.stderr.strip()}")

# Every truncation is refused (the tree section comes last, as Qt writes it).
for n in range(len(good)):
    try:
        rcc_files.RccFile(good[:n])
        check(False, f"truncation to {n} of {len(good)} bytes refused")
        break
    except rcc_files.RccError:
        pass

# And on the command line: the file named, no traceback.
bad_path = os.path.join(WORK, "truncated.rcc")
with open(bad_path, "wb") as f:
    f.write(good[:len(good) - 5])
r = run("list", bad_path)
check(r.returncode == 1 and r.stderr.startswith(f"error: {bad_path}: ") and
      "Traceback" not in r.stderr, f"truncated file refused clearly: {r.stderr.strip()}")


def refused(data, what, path=None):
    """RccError from parsing `data`, or from reading `path` in it."""
    try:
        rcc = rcc_files.RccFile(data)
        if path is not None:
            rcc.read(path)
    except rcc_files.RccError as e:
        return str(e)
    check(False, f"{what} refused")
    return ""


_, tree_at, data_at, names_at, _ = struct.unpack_from(">IIIII", good, 4)
refused(b"qrez" + good[4:], "a wrong magic")
refused(good[:4] + struct.pack(">I", 9) + good[8:], "an unknown version")
# The root's child count made huge: child nodes past the end of the file.
huge = bytearray(good)
struct.pack_into(">I", huge, tree_at + 6, 1000)
refused(bytes(huge), "a child count past the end of the tree")
# The root listing itself as its own child: a loop.
loop = bytearray(good)
struct.pack_into(">II", loop, tree_at + 6, 1, 0)
check("loop" in refused(bytes(loop), "a loop in the tree"), "a loop is named as such")
# The first data entry's length made larger than the file.
long_data = bytearray(good)
struct.pack_into(">I", long_data, data_at, 1 << 30)
refused(bytes(long_data), "a data length past the end of the file")
# A name whose length runs past the end of the file.
long_name = bytearray(good)
struct.pack_into(">H", long_name, names_at, 0xFFFF)
refused(bytes(long_name), "a name length past the end of the file")
# Corrupt zlib data, and a zstd entry (which the tool does not decode).
qml = "/gcompris/src/activities/erase/Erase.qml"
flipped = bytearray(good)
rcc = rcc_files.RccFile(good)
at = data_at + rcc.files[qml][1] + 4 + 4 + 2  # past length, size prefix and zlib header
flipped[at:at + 8] = b"\xff" * 8
refused(bytes(flipped), "corrupt zlib data", qml)
zstd = write_rcc(files, zstd_paths={qml})
check("zstd" in refused(zstd, "a zstd entry", qml), "a zstd entry is named as such")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("rcc_files.py: all checks passed")
