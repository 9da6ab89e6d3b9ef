#!/usr/bin/python3
"""Writes the bad-input corpus of tests/data/bad/ (one small file per defect, each checked by
tests/unit/test_bad_input.cpp or tests/bad_input/test_bad_png.cpp) and the valid seeds of the
fuzzers in tests/fuzz/corpus/<loader>/. Deterministic: the same bytes on every run.

    /usr/bin/python3 tools/make_bad_corpus.py

Needs numpy only; PNGs are written byte by byte with zlib (no imaging library). The tiny
network of the weight-file cases is test_bad_input.cpp's
    Sequential<Input<1, 4, 4>, Conv2d<1, 2, 3>, ReLU, ConvTranspose2d<2, 1, 3>>
whose PyTorch state_dict is 0.weight (2, 1, 3, 3), 0.bias (2,), 2.weight (2, 1, 3, 3),
2.bias (1,).
"""
import json
import os
import struct
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD = os.path.join(ROOT, "tests", "data", "bad")
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def bad(name, data):
    write(os.path.join(BAD, name), data)


def seed(loader, name, data):
    write(os.path.join(SEEDS, loader, name), data)


# ---- .npy -----------------------------------------------------------------------------------

def npy_bytes(array=None, descr=None, shape=None, fortran=False, version=(1, 0), data=None,
              header_len=None, header=None):
    """A .npy file; every field can be overridden to make it wrong."""
    if array is not None:
        descr = descr or array.dtype.str
        shape = array.shape if shape is None else shape
        data = (np.asfortranarray(array) if fortran else array).tobytes(
            order="F" if fortran else "C") if data is None else data
    if header is None:
        shape_text = repr(tuple(int(d) for d in shape))
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
        prefix_len = 10 if version[0] == 1 else 12
        pad = (64 - (prefix_len + len(header) + 1) % 64) % 64
        header = header + " " * pad + "\n"
    header = header.encode("latin1")
    n = len(header) if header_len is None else header_len
    if version[0] == 1:
        prefix = b"\x93NUMPY" + bytes(version) + struct.pack("<H", n)
    else:
        prefix = b"\x93NUMPY" + bytes(version) + struct.pack("<I", n)
    return prefix + header + (data or b"")


def images(n, c=3, h=32, w=32, dtype=np.uint8):
    return (np.arange(n * c * h * w) % 251).reshape(n, c, h, w).astype(dtype)


def make_npy():
    good = npy_bytes(images(2))
    assert good == _numpy_save(images(2))
    seed("npy", "valid_u8_2x3x32x32.npy", good)
    seed("npy", "valid_f4_2x3.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3)))
    seed("npy", "valid_f8_v2.npy", npy_bytes(np.arange(4, dtype="<f8"), version=(2, 0)))
    seed("npy", "valid_u8_scalar.npy", npy_bytes(np.array(7, dtype=np.uint8)))

    bad("npy_empty.npy", b"")
    bad("npy_wrong_magic.npy", b"\x93NUMPZ" + good[6:])
    bad("npy_text_file.npy", b"train_input,train_target\n1,2\n")
    bad("npy_wrong_version.npy", npy_bytes(images(2), version=(9, 0)))
    bad("npy_dtype_int16.npy", npy_bytes(images(2, dtype="<i2")))
    bad("npy_dtype_big_endian.npy", npy_bytes(images(2, dtype=">f4")))
    bad("npy_dtype_float32_images.npy", npy_bytes(images(2, dtype="<f4")))
    bad("npy_fortran_order.npy", npy_bytes(images(2), fortran=True))
    bad("npy_rank3.npy", npy_bytes(images(2)[0]))
    bad("npy_shape_64x64.npy", npy_bytes(images(2, h=64, w=64)))
    bad("npy_shape_1_channel.npy", npy_bytes(images(2, c=1)))
    bad("npy_truncated.npy", good[: len(good) - 1000])
    bad("npy_trailing_bytes.npy", good + b"\0" * 16)
    # The header says it is longer than the whole file.
    bad("npy_header_len_past_end.npy", npy_bytes(images(2), header_len=60000)[:200])
    # The header says it is shorter than it is: the dict is cut and the data starts inside it.
    bad("npy_header_len_short.npy", npy_bytes(images(2), header_len=40))
    bad("npy_header_not_dict.npy", npy_bytes(header="[1, 2, 3]" + " " * 53 + "\n"))
    bad("npy_header_unknown_key.npy",
        npy_bytes(header="{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}\n",
                  data=b"\0"))
    # 2^32 x 2^32 x 3 x 32 x 32 values: the element count overflows 64 bits and wraps to 0,
    # which once matched the (empty) data section.
    bad("npy_shape_overflow.npy",
        npy_bytes(descr="|u1", shape=(1 << 32, 1 << 32, 3, 32, 32), data=b""))
    bad("npy_shape_huge.npy", npy_bytes(descr="<f8", shape=(1 << 40, 1 << 40), data=b""))
    # Found by fuzz_npy: an empty array (a 0 dimension) whose other dimensions multiply past
    # 2^63 made xtensor's stride computation overflow (undefined behaviour).
    bad("npy_empty_but_huge_shape.npy",
        npy_bytes(descr="|u1", shape=(0, 1 << 32, 3, 32, 394967296, 3, 32, 32), data=b""))
    # A float input with a NaN and one with an Inf (for Sequential::forward's check).
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 2] = np.nan
    bad("npy_nan_input.npy", npy_bytes(x))
    x[0, 0, 1, 2] = 0
    x[0, 0, 3, 0] = -np.inf
    bad("npy_inf_input.npy", npy_bytes(x))


def _numpy_save(a):
    import io
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


# ---- safetensors ----------------------------------------------------------------------------

def st_bytes(tensors, metadata=None, header=None, data=None, header_len=None):
    """tensors: list of (name, dtype, shape, bytes). Laid out in order, as ctnn writes."""
    if header is None:
        h = {}
        if metadata:
            h["__metadata__"] = metadata
        offset = 0
        blobs = []
        for name, dtype, shape, blob in tensors:
            h[name] = {"dtype": dtype, "shape": list(shape),
                       "data_offsets": [offset, offset + len(blob)]}
            offset += len(blob)
            blobs.append(blob)
        header = json.dumps(h, separators=(",", ":"))
        header += " " * ((8 - len(header) % 8) % 8)
        data = b"".join(blobs) if data is None else data
    header = header.encode()
    n = len(header) if header_len is None else header_len
    return struct.pack("<Q", n) + header + (data or b"")


def f32(*shape, values=None):
    n = int(np.prod(shape)) if shape else 1
    a = np.linspace(-0.5, 0.5, n, dtype=np.float32) if values is None else np.asarray(
        values, np.float32)
    return a.tobytes()


def tiny_weights(**changes):
    """The tiny network's tensors; changes maps a name to None (drop) or a replacement."""
    t = {"0.weight": ("F32", (2, 1, 3, 3), f32(2, 1, 3, 3)),
         "0.bias": ("F32", (2,), f32(2)),
         "2.weight": ("F32", (2, 1, 3, 3), f32(2, 1, 3, 3)),
         "2.bias": ("F32", (1,), f32(1))}
    for k, v in changes.items():
        if v is None:
            del t[k]
        else:
            t[k] = v
    return [(k, *v) for k, v in t.items()]


def make_safetensors():
    one = [("a", "F32", (2,), f32(2))]
    seed("safetensors", "valid_tiny_weights.safetensors", st_bytes(tiny_weights()))
    seed("safetensors", "valid_metadata.safetensors",
         st_bytes(one, metadata={"format": "pt", "ctnn_checkpoint": "weights"}))
    seed("safetensors", "valid_mixed_dtypes.safetensors",
         st_bytes([("u", "U8", (3,), b"\1\2\3"), ("d", "F64", (1,), struct.pack("<d", 1.5)),
                   ("i", "I64", (1,), struct.pack("<q", -4)), ("e", "F32", (0,), b"")]))

    bad("st_valid_tiny_weights.safetensors", st_bytes(tiny_weights()))  # the control
    bad("st_too_short.safetensors", b"\x10\0\0")
    bad("st_header_len_past_end.safetensors", st_bytes(one, header_len=4096))
    bad("st_header_len_huge.safetensors", st_bytes(one, header_len=(1 << 63) + 5))
    bad("st_invalid_json.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}',
                 data=f32(2)))
    bad("st_json_not_object.safetensors", st_bytes(None, header="[1, 2, 3]", data=b""))
    bad("st_entry_not_object.safetensors", st_bytes(None, header='{"a": 5}', data=b""))
    bad("st_missing_dtype.safetensors",
        st_bytes(None, header='{"a": {"shape": [2], "data_offsets": [0, 8]}}', data=f32(2)))
    bad("st_unknown_dtype.safetensors", st_bytes([("a", "F24", (2,), b"\0" * 6)]))
    bad("st_negative_shape.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}',
                 data=f32(2)))
    bad("st_offsets_out_of_range.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}',
                 data=f32(2)))
    bad("st_offsets_reversed.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}',
                 data=f32(2)))
    bad("st_offsets_overlap.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},'
                              ' "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}',
                 data=f32(3)))
    bad("st_offsets_gap.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
                              ' "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}',
                 data=f32(3)))
    bad("st_shape_size_mismatch.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}',
                 data=f32(2)))
    bad("st_shape_overflow.safetensors",
        st_bytes(None, header='{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],'
                              ' "data_offsets": [0, 0]}}', data=b""))
    bad("st_trailing_data.safetensors", st_bytes(one) + b"\0" * 8)
    bad("st_metadata_not_string.safetensors", st_bytes(one, metadata={"epoch": 3}))
    # Well-formed files that do not fit the tiny network.
    bad("st_weights_missing_tensor.safetensors", st_bytes(tiny_weights(**{"2.bias": None})))
    bad("st_weights_extra_tensor.safetensors",
        st_bytes(tiny_weights(**{"4.weight": ("F32", (1, 1, 3, 3), f32(1, 1, 3, 3))})))
    bad("st_weights_wrong_shape.safetensors",
        st_bytes(tiny_weights(**{"0.weight": ("F32", (2, 1, 5, 5), f32(2, 1, 5, 5))})))
    bad("st_weights_int_dtype.safetensors",
        st_bytes(tiny_weights(**{"0.bias": ("I32", (2,), struct.pack("<2i", 1, 2))})))
    bad("st_weights_other_network.safetensors",
        st_bytes(tiny_weights(), metadata={"ctnn_network": "Sequential<Input<3,32,32>,ReLU>"}))
    bad("st_weights_nan.safetensors",
        st_bytes(tiny_weights(**{"0.bias": ("F32", (2,), f32(2, values=[0.1, np.nan]))})))
    w = np.linspace(-0.5, 0.5, 18, dtype=np.float32)
    w[7] = np.inf
    bad("st_weights_inf.safetensors",
        st_bytes(tiny_weights(**{"2.weight": ("F32", (2, 1, 3, 3), w.tobytes())})))


# ---- PNG ------------------------------------------------------------------------------------

def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(w, h, color_type, bit_depth=8, rows=None, idat=None):
    """color_type: 0 gray, 2 RGB, 4 gray + alpha, 6 RGBA. Rows use filter 0 (none)."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    if rows is None and idat is None:
        rng = np.random.default_rng(w * 7 + h + color_type)
        dtype = ">u2" if bit_depth == 16 else np.uint8
        top = 65536 if bit_depth == 16 else 256
        pixels = rng.integers(0, top, size=(h, w * channels)).astype(dtype)
        rows = b"".join(b"\0" + pixels[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(rows, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) +
            chunk(b"IEND", b""))


def make_png():
    good = png_bytes(40, 36, 2)
    seed("png", "valid_rgb_40x36.png", good)
    seed("png", "valid_rgb_1x1.png", png_bytes(1, 1, 2))
    seed("png", "valid_gray_8x8.png", png_bytes(8, 8, 0))

    bad("png_valid_rgb_40x36.png", good)  # the control
    bad("png_not_a_png.png", b"GIF89a\x01\x00\x01\x00" + b"\0" * 20)
    bad("png_empty.png", b"")
    bad("png_truncated.png", good[: len(good) // 2])
    # Signature only, then nothing.
    bad("png_signature_only.png", good[:8])
    bad("png_16bit.png", png_bytes(33, 33, 2, bit_depth=16))
    bad("png_grayscale.png", png_bytes(33, 33, 0))
    bad("png_gray_alpha.png", png_bytes(33, 33, 4))
    bad("png_rgba.png", png_bytes(33, 33, 6))
    # Pixel data that decompresses to fewer rows than the header promises.
    bad("png_short_pixels.png",
        png_bytes(40, 36, 2, rows=b"".join(b"\0" + b"\x80" * 120 for _ in range(10))))
    # Not zlib data at all in IDAT.
    bad("png_corrupt_idat.png", png_bytes(40, 36, 2, idat=b"\xff" * 64))
    # A header claiming 60000 x 60000 pixels (10 GB decoded) over a few bytes of data.
    bad("png_huge_dimensions.png",
        png_bytes(60000, 60000, 2, idat=zlib.compress(b"\0" * 1000)))
    bad("png_zero_width.png", png_bytes(0, 32, 2, idat=zlib.compress(b"")))
    # Found by fuzz_png: an empty IDAT chunk before the data made stb 2.27 call
    # memcpy(nullptr, p, 0) (undefined behaviour). Valid: it must load (as 40 x 36).
    parts = good.split(b"IDAT")
    assert len(parts) == 2
    empty_idat = chunk(b"IDAT", b"")
    bad("png_empty_idat_chunk.png", parts[0][:-4] + empty_idat + parts[0][-4:] + b"IDAT" + parts[1])
    # The fuzzer's own input: 1 x 1, an empty IDAT, then a corrupt one.
    bad("png_empty_idat_then_corrupt.png", bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"  # IHDR 1 x 1
        "0000000049444154ffff6150"  # an empty IDAT (wrong CRC)
        "00b77129000000fe85408a8b0000000049454e44ae426082"))  # garbage
    # Found by fuzz_png: an IDAT chunk whose length (0xffffffff) runs past the end of the file
    # made stb allocate 2 GB before it found the file too short.
    bad("png_chunk_length_past_end.png", bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"  # IHDR 1 x 1
        "0000000c4944415478da6338f6c51900048101fe85408a8b"  # IDAT, 12 bytes
        "00000000ffffffffffffffff"  # an empty chunk of type ffffffff
        "49454e4449444154ae426082"))  # IDAT claiming 0x49454e44 bytes
    # A valid RGB PNG smaller than the networks' 32 x 32 input (the denoise tool refuses it).
    bad("png_too_small_16x16.png", png_bytes(16, 16, 2))


def main():
    os.makedirs(BAD, exist_ok=True)
    for d in (BAD, *(os.path.join(SEEDS, s) for s in ("npy", "safetensors", "png"))):
        if os.path.isdir(d):
            for f in os.listdir(d):
                os.remove(os.path.join(d, f))
    make_npy()
    make_safetensors()
    make_png()
    total = sum(os.path.getsize(os.path.join(BAD, f)) for f in os.listdir(BAD))
    print(f"make_bad_corpus: {len(os.listdir(BAD))} files in {BAD} ({total} bytes)")


if __name__ == "__main__":
    main()
