#!/usr/bin/python3
"""Lists and extracts the files inside a Qt binary resource file (.rcc).

GCompris keeps each activity's pictures in such a file. The format (Qt's
rcc.cpp writes it, qresource.cpp reads it; all integers big-endian):

  header   "qres", version (1, 2 or 3), then the offsets of the tree, data
           and names sections (u32 each); version 3 adds a flags word (u32).
  tree     an array of nodes, node 0 being the root directory. Each node is
           name offset (u32), flags (u16), then for a directory its child
           count (u32) and the index of its first child (u32), for a file
           country (u16), language (u16) and data offset (u32); versions 2
           and 3 add a modification time (u64): 14 or 22 bytes a node.
           Flags: 1 = zlib-compressed, 2 = directory, 4 = zstd-compressed.
  names    at each name offset: length in UTF-16 units (u16), hash (u32),
           then the name in UTF-16BE.
  data     at each data offset: length (u32), then the bytes. A zlib entry
           is qCompress's format: the uncompressed size (u32), then a zlib
           stream.

Every offset, count and length is checked against the file, so a truncated
or malformed file is refused with a message that names it. zstd entries are
refused too (Python's standard library has no zstd; GCompris' files do not
use it).

Usage: rcc_files.py list FILE.rcc
       rcc_files.py extract FILE.rcc OUT_DIR PATH...
  list prints one line per file: size, storage (stored, zlib or zstd), path.
  extract writes each resource PATH (as list prints it, e.g.
  /gcompris/src/activities/erase/resource/README) to OUT_DIR/PATH.
"""

import argparse
import os
import struct
import sys
import zlib

FLAG_ZLIB = 1
FLAG_DIRECTORY = 2
FLAG_ZSTD = 4


class RccError(Exception):
    """A malformed, truncated or unsupported .rcc file."""


class RccFile:
    """The tree of one .rcc file, read at construction; data is read on demand."""

    def __init__(self, data):
        self.data = data
        if data[:4] != b"qres":
            raise RccError("not a Qt resource file (no 'qres' magic)")
        self.version, self.tree, self.data_start, self.names = self._unpack(">IIII", 4, "header")
        if self.version not in (1, 2, 3):
            raise RccError(f"unsupported format version {self.version} (known: 1, 2, 3)")
        self.node_size = 14 if self.version == 1 else 22
        for what, offset in (("tree", self.tree), ("data", self.data_start),
                             ("names", self.names)):
            if offset >= len(data):
                raise RccError(f"{what} section offset {offset} is past the end of the file "
                               f"({len(data)} bytes): truncated?")
        self.files = {}  # path -> (flags, data offset)
        self._walk(0, "", set())

    def _unpack(self, fmt, offset, what):
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            raise RccError(f"{what} at byte {offset} runs past the end of the file "
                           f"({len(self.data)} bytes): truncated?")
        return struct.unpack_from(fmt, self.data, offset)

    def _name(self, offset):
        at = self.names + offset
        (length,) = self._unpack(">H", at, "name")
        end = at + 6 + 2 * length
        if end > len(self.data):
            raise RccError(f"name at byte {at} runs past the end of the file: truncated?")
        try:
            name = self.data[at + 6:end].decode("utf-16-be")
        except UnicodeDecodeError as e:
            raise RccError(f"name at byte {at} is not valid UTF-16: {e}") from None
        if not name or name in (".", "..") or "/" in name:
            raise RccError(f"name at byte {at} is not a valid file name: {name!r}")
        return name

    def _walk(self, index, path, seen):
        if index in seen:
            raise RccError(f"tree node {index} is reached twice (a loop in the tree)")
        seen.add(index)
        at = self.tree + index * self.node_size
        if at + self.node_size > len(self.data):
            raise RccError(f"tree node {index} runs past the end of the file: truncated?")
        name_offset, flags = self._unpack(">IH", at, f"tree node {index}")
        if index != 0:
            path = path + "/" + self._name(name_offset)
        if flags & FLAG_DIRECTORY:
            count, first = self._unpack(">II", at + 6, f"tree node {index}")
            for child in range(first, first + count):
                self._walk(child, path, seen)
        elif index == 0:
            raise RccError("the root of the tree is not a directory")
        else:
            (offset,) = self._unpack(">I", at + 10, f"tree node {index}")
            data_at = self.data_start + offset
            (length,) = self._unpack(">I", data_at, f"data of {path}")
            if data_at + 4 + length > len(self.data):
                raise RccError(f"data of {path} ({length} bytes at byte {data_at + 4}) runs past "
                               f"the end of the file: truncated?")
            self.files[path] = (flags, offset)

    def storage(self, path):
        flags = self.files[path][0]
        return "zstd" if flags & FLAG_ZSTD else "zlib" if flags & FLAG_ZLIB else "stored"

    def stored_size(self, path):
        return self._unpack(">I", self.data_start + self.files[path][1], f"data of {path}")[0]

    def read(self, path):
        """The bytes of the file at `path`, decompressed."""
        flags, offset = self.files[path]
        at = self.data_start + offset
        (length,) = self._unpack(">I", at, f"data of {path}")  # bounds checked by _walk
        raw = self.data[at + 4:at + 4 + length]
        if flags & FLAG_ZSTD:
            raise RccError(f"{path} is zstd-compressed, which this tool does not decode")
        if flags & FLAG_ZLIB:
            if length < 4:
                raise RccError(f"zlib data of {path} is shorter than its size prefix")
            (size,) = struct.unpack_from(">I", raw, 0)
            try:
                raw = zlib.decompress(raw[4:])
            except zlib.error as e:
                raise RccError(f"zlib data of {path} is corrupt: {e}") from None
            if len(raw) != size:
                raise RccError(f"{path} decompresses to {len(raw)} bytes, "
                               f"its header says {size}")
        return raw


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="list the files: size, storage, path")
    p_list.add_argument("rcc")
    p_extract = sub.add_parser("extract", help="write the given files under OUT_DIR")
    p_extract.add_argument("rcc")
    p_extract.add_argument("out_dir")
    p_extract.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args()

    try:
        with open(args.rcc, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"error: {args.rcc}: {e.strerror}")
    try:
        rcc = RccFile(data)
        if args.command == "list":
            for path in sorted(rcc.files):
                print(f"{rcc.stored_size(path)}\t{rcc.storage(path)}\t{path}")
            return
        missing = [p for p in args.paths if p not in rcc.files]
        if missing:
            sys.exit(f"error: {args.rcc} has no file " + ", ".join(missing) +
                     f" ({len(rcc.files)} files in it; 'rcc_files.py list' lists them)")
        for path in args.paths:
            write_file(os.path.join(args.out_dir, path.lstrip("/")), rcc.read(path))
    except RccError as e:
        sys.exit(f"error: {args.rcc}: {e}")


if __name__ == "__main__":
    main()
