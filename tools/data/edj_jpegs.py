#!/usr/bin/python3
"""Extracts the photo embedded in an Enlightenment background (.edj).

An .edj is an Eet archive; Enlightenment's photographic backgrounds keep the
same photo there as a dozen JPEG streams of different sizes. We find each
stream by its SOI marker (FF D8 FF), walk its marker segments to read the
frame size and to find where it really ends (an FF D9 inside an EXIF
thumbnail or an APP segment is not the end), and write the largest stream no
wider than --max-width.

Usage: edj_jpegs.py [--max-width N] [--list] EDJ [OUT.jpg]
"""

import argparse
import os
import struct
import sys

SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def parse_jpeg(data, start):
    """Returns (end, width, height) of the JPEG stream starting at `start`, or None."""
    pos = start + 2  # after SOI
    width = height = None
    n = len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            if width is None:
                return None
            return pos + 2, width, height
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2 or pos + 2 + length > n:
            return None
        if marker in SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                nxt = data[pos + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:  # stuffed byte or restart marker
                    pos += 2
                    continue
                break  # a real marker: next scan, tables or EOI
    return None


def find_jpegs(data):
    streams = []
    pos = 0
    while True:
        start = data.find(b"\xff\xd8\xff", pos)
        if start < 0:
            return streams
        parsed = parse_jpeg(data, start)
        if parsed is None:
            pos = start + 3
            continue
        end, width, height = parsed
        streams.append((start, end, width, height))
        pos = end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-width", type=int, default=2560)
    parser.add_argument("--list", action="store_true", help="list the JPEG streams and exit")
    parser.add_argument("edj")
    parser.add_argument("out", nargs="?")
    args = parser.parse_args()

    try:
        with open(args.edj, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"{args.edj}: {e.strerror}")
    streams = find_jpegs(data)
    if args.list:
        for start, end, width, height in streams:
            print(f"offset {start} bytes {end - start} size {width}x{height}")
        return
    if args.out is None:
        parser.error("OUT.jpg is required unless --list is given")
    fitting = [s for s in streams if s[2] <= args.max_width]
    if not fitting:
        sys.exit(f"{args.edj}: no embedded JPEG at most {args.max_width} pixels wide "
                 f"({len(streams)} JPEG streams found)")
    start, end, width, height = max(fitting, key=lambda s: s[2] * s[3])
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data[start:end])
    os.replace(tmp, args.out)
    print(f"{args.edj}: {width}x{height} -> {args.out}")


if __name__ == "__main__":
    main()
