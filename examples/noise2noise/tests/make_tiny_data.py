#!/usr/bin/python3
"""Writes a tiny synthetic Noise2Noise data set (smooth colour patterns + Gaussian noise) in the
trainer's layout, for the trainer's system tests: make_tiny_data.py DIR [TRAIN] [VAL]."""
import sys

import numpy as np


def main():
    out = sys.argv[1]
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    n_val = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:32, 0:32]

    def clean(n):
        f = rng.uniform(0.05, 0.4, size=(n, 3, 2, 1, 1))
        p = rng.uniform(0, 6, size=(n, 3, 2, 1, 1))
        return 0.5 + 0.35 * np.sin(f[:, :, 0] * x + p[:, :, 0]) * np.cos(f[:, :, 1] * y + p[:, :, 1])

    def noisy(c):
        return np.clip(np.round((c + rng.normal(0, 0.1, c.shape)) * 255), 0, 255).astype(np.uint8)

    c = clean(n_train)
    np.save(f"{out}/train_input.npy", noisy(c))
    np.save(f"{out}/train_target.npy", noisy(c))
    c = clean(n_val)
    np.save(f"{out}/val_input.npy", noisy(c))
    np.save(f"{out}/val_target.npy", np.round(c * 255).astype(np.uint8))


if __name__ == "__main__":
    main()
