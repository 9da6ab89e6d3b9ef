#!/usr/bin/python3
"""Fits the parameters of the `course-texture` noise model (n2n::CourseTextureNoise in
examples/noise2noise/noise.hpp) to the statistics measured on the course's validation pairs
(issue 16, docs/data.md "The texture-following model").

    /usr/bin/python3 tools/data/fit_texture_noise.py CLEAN.npy [CLEAN2.npy ...] [--tiles N]

CLEAN.npy: clean uint8 N x 3 x 32 x 32 tiles, e.g. val_target.npy of a data set built by
ctnn_build_dataset (train_input/train_target are noisy: do not pass them). The script simulates
the model in numpy exactly as the C++ does (same local statistics, same formula, same rounding
and clipping; only the random numbers differ: numpy's generator, drawn once, so the objective
is a deterministic function of the parameters) and fits:

1. the strength function sigma(L, s) = amplitude * min(1, L / gain_ramp) *
   (min(s, texture_cap * L) + texture_offset) ** texture_power to the 12 cells of the course's table (std of the luma
   of noisy - clean by clean luma band x 3x3 local std band): Nelder-Mead on the squared error
   of log std, each cell weighted by the square root of its share of the pixels (so the sparse
   cells count, but less);
2. the tail parameter to the kurtosis (13), the keep probability to the fraction of unchanged
   channel values (10 %) and the three channel correlations to R-G 0.91, G-B 0.93, R-B 0.85
   (fixed-point steps, since clipping and rounding move the measured values off the model's);
and repeats both steps until the parameters settle. It prints the fitted parameters (to paste
into the struct's defaults) and the table fitted vs target.

The model conditions on (L, s): the clean tiles matter only through which (L, s) cells they
populate and how L and s spread within a cell (clipping near 0 and 255). The overall statistics
(kurtosis, unchanged fraction, overall std) mix the cells, so they depend on the content: they
are fitted and reported on "course-like" content, the given tiles reweighted so that each
quarter of the course's per-image detail distribution (quartiles 24.0 / 27.0 / 32.5) holds a
quarter of the weight; the unweighted values are printed too.
"""

import argparse
import math
import sys

import numpy as np

# The course's figures (issue 16).
TARGET_TABLE = np.array([[1.6, 5.9, 8.7, 10.0], [5.9, 12.5, 20.5, 33.2], [4.3, 13.7, 25.1, 40.1]])
TARGET_CORR = {"rg": 0.91, "gb": 0.93, "rb": 0.85}
TARGET_KURTOSIS = 13.0
TARGET_UNCHANGED = 0.10
TARGET_STD = 22.0
COURSE_DETAIL_QUARTILES = (24.0, 27.0, 32.5)
LUMA_EDGES = (32, 96)  # bands [0, 32), [32, 96), [96, 255]
STD_EDGES = (3, 10, 30)  # bands [0, 3), [3, 10), [10, 30), [30, inf)


def luma_and_local_var(clean):
    """Per pixel: the clean luma L = (R + G + B) / 3 and the variance of L over the pixel's 3x3
    neighbourhood cut to the tile (4 values at a corner, 6 on an edge, 9 inside), population
    variance. Computed from exact integers as in C++: with t = 3 L (an integer), n the window's
    size, S and Q the sums of t and t^2, var = (n Q - S^2) / (9 n^2)."""
    t = clean.astype(np.int64).sum(axis=1)  # N x 32 x 32, = 3 L
    n_img, h, w = t.shape
    pad_t = np.zeros((n_img, h + 2, w + 2), np.int64)
    pad_t[:, 1:-1, 1:-1] = t
    pad_one = np.zeros((h + 2, w + 2), np.int64)
    pad_one[1:-1, 1:-1] = 1
    s = np.zeros_like(t)
    q = np.zeros_like(t)
    n = np.zeros((h, w), np.int64)
    for dy in range(3):
        for dx in range(3):
            win = pad_t[:, dy : dy + h, dx : dx + w]
            s += win
            q += win * win
            n += pad_one[dy : dy + h, dx : dx + w]
    num = n * q - s * s  # exact, >= 0
    var = num / (9.0 * n * n)
    return t / 3.0, var


def bands(luma, var):
    """Cell index 0..11 (luma band * 4 + local std band), with the band edges on exact values:
    s < e  <=>  var < e^2."""
    lb = (luma >= LUMA_EDGES[0]).astype(np.int64) + (luma >= LUMA_EDGES[1])
    sb = sum((var >= e * e).astype(np.int64) for e in STD_EDGES)
    return lb * 4 + sb


def detail(clean):
    """Per image: mean |horizontal difference| + mean |vertical difference| of the clean values
    (all three channels), 0..255 scale."""
    c = clean.astype(np.int16)
    h = np.abs(np.diff(c, axis=3)).mean(axis=(1, 2, 3))
    v = np.abs(np.diff(c, axis=2)).mean(axis=(1, 2, 3))
    return h + v


def course_like_weights(d):
    """Tile weights that give each quarter of the course's detail distribution a quarter of
    the total (uniform within a quarter over the tiles that fall in it)."""
    q = np.searchsorted(np.array(COURSE_DETAIL_QUARTILES), d, side="right")
    w = np.zeros(len(d))
    for k in range(4):
        m = q == k
        if m.any():
            w[m] = 0.25 / m.sum()
    return w / w.sum()


class Params:
    NAMES = ["amplitude", "texture_offset", "texture_power", "texture_cap", "gain_ramp",
             "tail", "keep", "corr_rg", "corr_gb", "corr_rb"]

    def __init__(self, **kw):
        # The starting point: the committed fit (n2n::CourseTextureNoise's defaults), so a rerun
        # on other tiles starts close.
        self.amplitude = 4.339
        self.texture_offset = 0.000687
        self.texture_power = 0.6113
        self.texture_cap = 0.6882
        self.gain_ramp = 50.93
        self.tail = 0.3957
        self.keep = 0.01805
        self.corr_rg, self.corr_gb, self.corr_rb = 0.9191, 0.9449, 0.8706
        for k, v in kw.items():
            setattr(self, k, v)

    def copy(self):
        return Params(**{k: getattr(self, k) for k in self.NAMES})

    def strength(self, luma, var):
        gain = np.minimum(1.0, luma / self.gain_ramp)
        texture = np.minimum(np.sqrt(var), self.texture_cap * luma)
        return self.amplitude * gain * (texture + self.texture_offset) ** self.texture_power

    def mixing(self):
        """The lower Cholesky factor of the channels' correlation matrix, scaled so that the
        luma (channel mean) of the mixed noise has unit variance."""
        a, b, c = self.corr_rg, self.corr_gb, self.corr_rb
        l11 = math.sqrt(1 - a * a)
        l21 = (b - a * c) / l11
        l22 = math.sqrt(max(0.0, 1 - c * c - l21 * l21))
        scale = 3.0 / math.sqrt(3 + 2 * (a + b + c))
        return scale * np.array([[1, 0, 0], [a, l11, 0], [c, l21, l22]])


class Data:
    def __init__(self, clean, seed):
        self.clean = clean
        self.cleanf = clean.astype(np.float64)
        self.luma, self.var = luma_and_local_var(clean)
        self.cell = bands(self.luma, self.var)
        self.detail = detail(clean)
        self.tile_weight = course_like_weights(self.detail)
        rng = np.random.default_rng(seed)
        shape = self.luma.shape
        self.u = rng.random(shape)
        self.xi = rng.standard_normal(shape)
        self.z = rng.standard_normal((3,) + shape)


def simulate(p, data):
    """Noisy tiles, as CourseTextureNoise in noise.hpp: per pixel, kept unchanged with
    probability `keep`; else noise_c = sigma(L, s) * w * (M z)_c, w = exp(tail xi - tail^2)."""
    sigma = p.strength(data.luma, data.var)
    w = np.exp(p.tail * data.xi - p.tail * p.tail)
    m = p.mixing()
    mixed = np.einsum("ij,j...->i...", m, data.z)  # 3 x N x 32 x 32
    noise = (sigma * w)[None] * mixed
    noise = np.moveaxis(noise, 0, 1)  # N x 3 x 32 x 32
    kept = (data.u < p.keep)[:, None]
    noisy = np.clip(np.floor(data.cleanf + noise + 0.5), 0, 255)
    return np.where(kept, data.cleanf, noisy)


def stats(noisy, data, weighted):
    """The statistics of noisy - clean, as n2n::measure_noise computes them; `weighted`: with
    the course-like tile weights."""
    d = noisy - data.cleanf  # N x 3 x 32 x 32
    n_img = d.shape[0]
    wt = data.tile_weight if weighted else np.full(n_img, 1.0 / n_img)
    wpix = np.broadcast_to(wt[:, None, None], data.luma.shape)
    out = {}
    dl = d.mean(axis=1)
    table = np.zeros(12)
    share = np.zeros(12)
    for k in range(12):
        m = data.cell == k
        ww = wpix[m]
        tot = ww.sum()
        share[k] = tot
        if tot > 0:
            mu = (ww * dl[m]).sum() / tot
            table[k] = math.sqrt(max(0.0, (ww * dl[m] ** 2).sum() / tot - mu * mu))
    out["table"] = table.reshape(3, 4)
    out["share"] = (share / share.sum()).reshape(3, 4)
    out["count"] = np.bincount(data.cell.ravel(), minlength=12).reshape(3, 4)
    wv = np.broadcast_to(wt[:, None, None, None], d.shape)
    tot = wv.sum()
    mean = (wv * d).sum() / tot
    c = d - mean
    var = (wv * c * c).sum() / tot
    out["mean"] = mean
    out["std"] = math.sqrt(var)
    out["kurtosis"] = (wv * c**4).sum() / tot / (var * var)
    out["unchanged"] = (wv * (d == 0)).sum() / tot
    wp = wpix

    def corr(i, j):
        a, b = d[:, i], d[:, j]
        ma, mb = (wp * a).sum() / wp.sum(), (wp * b).sum() / wp.sum()
        cov = (wp * (a - ma) * (b - mb)).sum()
        return cov / math.sqrt((wp * (a - ma) ** 2).sum() * (wp * (b - mb) ** 2).sum())

    out["corr_rg"], out["corr_gb"], out["corr_rb"] = corr(0, 1), corr(1, 2), corr(0, 2)
    return out


def nelder_mead(f, x0, step, iters=400, tol=1e-7):
    n = len(x0)
    pts = [np.array(x0, float)]
    for i in range(n):
        x = np.array(x0, float)
        x[i] += step[i]
        pts.append(x)
    vals = [f(x) for x in pts]
    for _ in range(iters):
        order = np.argsort(vals)
        pts = [pts[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[-1] - vals[0]) < tol:
            break
        centroid = np.mean(pts[:-1], axis=0)
        xr = centroid + (centroid - pts[-1])
        fr = f(xr)
        if fr < vals[0]:
            xe = centroid + 2 * (centroid - pts[-1])
            fe = f(xe)
            pts[-1], vals[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = xr, fr
        else:
            xc = centroid + 0.5 * (pts[-1] - centroid)
            fc = f(xc)
            if fc < vals[-1]:
                pts[-1], vals[-1] = xc, fc
            else:
                for i in range(1, n + 1):
                    pts[i] = pts[0] + 0.5 * (pts[i] - pts[0])
                    vals[i] = f(pts[i])
    i = int(np.argmin(vals))
    return pts[i], vals[i]


TABLE_NAMES = ["amplitude", "texture_offset", "texture_power", "texture_cap", "gain_ramp"]


def to_vector(p):
    return np.array([math.log(p.amplitude), math.log(p.texture_offset), p.texture_power,
                     math.log(p.texture_cap), math.log(p.gain_ramp)])


def from_vector(p, x):
    q = p.copy()
    q.amplitude, q.texture_offset = math.exp(x[0]), math.exp(x[1])
    q.texture_power, q.texture_cap, q.gain_ramp = x[2], math.exp(x[3]), math.exp(x[4])
    return q


def table_loss(p, data, cell_weight):
    if not (0 < p.texture_power < 2 and p.texture_offset < 100):
        return 1e9
    s = stats(simulate(p, data), data, weighted=True)
    fitted = np.maximum(s["table"], 1e-3)
    return float((cell_weight * (np.log(fitted) - np.log(TARGET_TABLE)) ** 2).sum())


def fit(data, rounds):
    p = Params()
    base = stats(simulate(p, data), data, weighted=True)
    cell_weight = np.sqrt(base["share"])
    cell_weight /= cell_weight.sum()
    for r in range(rounds):
        x, loss = nelder_mead(lambda x: table_loss(from_vector(p, x), data, cell_weight),
                              to_vector(p), [0.2, 0.5, 0.1, 0.1, 0.3])
        p = from_vector(p, x)
        # Fixed-point steps for the tail, the keep probability and the correlations.
        for _ in range(6):
            s = stats(simulate(p, data), data, weighted=True)
            p.tail = max(0.0, p.tail + 0.15 * math.log(TARGET_KURTOSIS / s["kurtosis"]))
            p.keep = min(0.5, max(0.0, p.keep + (TARGET_UNCHANGED - s["unchanged"])))
            for k in ("rg", "gb", "rb"):
                name = "corr_" + k
                setattr(p, name, min(0.995, getattr(p, name) + TARGET_CORR[k] - s[name]))
        print(f"round {r + 1}: table loss {loss:.5f}, "
              + ", ".join(f"{k} {getattr(p, k):.4g}" for k in Params.NAMES), file=sys.stderr)
    return p


def print_table(title, table, target=None):
    print(title)
    print("  clean luma \\ local 3x3 std |    < 3     |   3-10     |   10-30    |   >= 30")
    for i, name in enumerate(["0-32  ", "32-96 ", "96-255"]):
        cells = []
        for j in range(4):
            cells.append(f"{table[i, j]:5.1f}" + (f" ({target[i, j]:4.1f})" if target is not None
                                                  else "       "))
        print(f"  {name}                     | " + " | ".join(cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clean", nargs="+", help="clean uint8 N x 3 x 32 x 32 .npy files")
    ap.add_argument("--tiles", type=int, default=3000, help="tiles used (default 3000, drawn "
                    "at random from the files)")
    ap.add_argument("--rounds", type=int, default=3, help="fit rounds (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tiles = []
    for path in args.clean:
        a = np.load(path)
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[1:] != (3, 32, 32):
            sys.exit(f"{path}: expected uint8 N x 3 x 32 x 32, got {a.dtype} {a.shape}")
        tiles.append(a)
    clean = np.concatenate(tiles)
    rng = np.random.default_rng(args.seed)
    if len(clean) > args.tiles:
        clean = clean[np.sort(rng.choice(len(clean), args.tiles, replace=False))]
    data = Data(clean, args.seed + 1)
    q = np.percentile(data.detail, [25, 50, 75])
    print(f"{len(clean)} clean tiles; detail p25/p50/p75 {q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f} "
          f"(course {COURSE_DETAIL_QUARTILES[0]} / {COURSE_DETAIL_QUARTILES[1]} / "
          f"{COURSE_DETAIL_QUARTILES[2]})")
    p = fit(data, args.rounds)
    print("fitted parameters (n2n::CourseTextureNoise defaults):")
    for k in Params.NAMES:
        print(f"  {k:15s} = {getattr(p, k):.4g}")
    noisy = simulate(p, data)
    for weighted, label in ((True, "course-like content (tiles reweighted by detail)"),
                            (False, "the tiles as given")):
        s = stats(noisy, data, weighted)
        print(f"\n{label}:")
        print_table("std of the luma of noisy - clean, fitted (target):", s["table"],
                    TARGET_TABLE)
        print_table("share of the pixels per cell (%):", 100 * s["share"])
        print(f"  mean {s['mean']:.2f}, std {s['std']:.2f} (course ~{TARGET_STD:.0f}), "
              f"kurtosis {s['kurtosis']:.2f} ({TARGET_KURTOSIS:.0f}), unchanged channel values "
              f"{100 * s['unchanged']:.1f}% ({100 * TARGET_UNCHANGED:.0f}%)")
        print(f"  correlation R-G {s['corr_rg']:.3f} ({TARGET_CORR['rg']}), G-B "
              f"{s['corr_gb']:.3f} ({TARGET_CORR['gb']}), R-B {s['corr_rb']:.3f} "
              f"({TARGET_CORR['rb']})")


if __name__ == "__main__":
    main()
