#!/usr/bin/python3
"""Converts the EE-559 Noise2Noise course data to ctnn's .npy layout.

The course ships train_data.pkl, a tuple (noisy_imgs_1, noisy_imgs_2) of two
uint8 torch tensors N x 3 x 32 x 32 (two noisy copies of each image), and
val_data.pkl, a tuple (noisy_imgs, clean_imgs). This writes train_input.npy,
train_target.npy, val_input.npy and val_target.npy (uint8 N x 3 x 32 x 32),
the files ctnn_noise2noise reads and ctnn_build_dataset writes.

Usage: tools/data/ee559_to_npy.py [--train train_data.pkl] [--val val_data.pkl] --out DIR
"""

import argparse
import os
import sys

import numpy as np


class ConversionError(Exception):
    pass


def load_pair(path, names):
    """Loads a .pkl holding a tuple of two uint8 N x 3 x 32 x 32 tensors; returns numpy arrays."""
    import torch  # only here, so --help works without torch

    try:
        obj = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ConversionError(f"{path}: no such file")
    except Exception as e:  # pickle, zip or torch errors: all mean "not the course's file"
        raise ConversionError(f"{path}: cannot load with torch.load: {e}")
    if not isinstance(obj, (tuple, list)) or len(obj) != 2:
        kind = type(obj).__name__
        size = f" of {len(obj)} items" if isinstance(obj, (tuple, list)) else ""
        raise ConversionError(f"{path}: expected a tuple ({names[0]}, {names[1]}), found a {kind}{size}")
    arrays = []
    for name, t in zip(names, obj):
        if not isinstance(t, torch.Tensor):
            raise ConversionError(f"{path}: {name} should be a torch tensor, found {type(t).__name__}")
        if t.dtype != torch.uint8:
            raise ConversionError(f"{path}: {name} should be uint8 (0..255), found {t.dtype}")
        if t.dim() != 4 or tuple(t.shape[1:]) != (3, 32, 32):
            raise ConversionError(f"{path}: {name} should be N x 3 x 32 x 32, found shape {tuple(t.shape)}")
        arrays.append(np.ascontiguousarray(t.numpy()))
    if arrays[0].shape[0] != arrays[1].shape[0]:
        raise ConversionError(f"{path}: {names[0]} has {arrays[0].shape[0]} images but {names[1]} has "
                              f"{arrays[1].shape[0]}")
    if arrays[0].shape[0] == 0:
        raise ConversionError(f"{path}: the tensors hold no images")
    return arrays


def save(out_dir, name, array):
    """Writes atomically: a temp file in the same directory, then a rename."""
    path = os.path.join(out_dir, name)
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            np.save(f, array)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise ConversionError(f"{path}: cannot write: {e.strerror}")
    print(f"{path}: {array.shape[0]} x 3 x 32 x 32 uint8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Then: ctnn_noise2noise --data DIR, or "
                                            "ctnn_build_dataset --stats DIR for the noise statistics.")
    parser.add_argument("--train", default="train_data.pkl", help="(default: train_data.pkl)")
    parser.add_argument("--val", default="val_data.pkl", help="(default: val_data.pkl)")
    parser.add_argument("--out", required=True, help="output directory, created if needed")
    args = parser.parse_args()
    try:
        train = load_pair(args.train, ("noisy_imgs_1", "noisy_imgs_2"))
        val = load_pair(args.val, ("noisy_imgs", "clean_imgs"))
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise ConversionError(f"{args.out}: cannot create the output directory: {e.strerror}")
        save(args.out, "train_input.npy", train[0])
        save(args.out, "train_target.npy", train[1])
        save(args.out, "val_input.npy", val[0])
        save(args.out, "val_target.npy", val[1])
    except ConversionError as e:
        sys.exit(f"ee559_to_npy: error: {e}")


if __name__ == "__main__":
    main()
