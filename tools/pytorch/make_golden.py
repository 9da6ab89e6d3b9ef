#!/usr/bin/python3
"""Generate golden fixtures for the ctnn C++ tests with PyTorch.

Every fixture is a float32 little-endian C-order .npy file.  Inputs and
initial parameters are random float32 values stored exactly as used; all
expected values are computed in float64 from those exact values and only
then rounded to float32, so the reference error is far below what the C++
float32 code is tested against.

Run with the system interpreter (the only one with torch + numpy):

    /usr/bin/python3 tools/pytorch/make_golden.py [--out DIR]

The output is deterministic: running it twice gives byte-identical files.
"""

import argparse
import pathlib
import zlib

import numpy as np
import torch
from torch import nn

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "golden"

# Minimum |pre-activation| wanted in front of a ReLU in the small cases, so
# the float32 C++ code can never land on the other side of the kink.
RELU_MARGIN = 1e-3


class SkipConcat(nn.Module):
    """cat([body(x), x], dim=1): body output first, then the input."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return torch.cat([self.body(x), x], dim=1)


class Residual(nn.Module):
    """x + body(x), or x - body(x) (DnCNN): ctnn's Residual and InputMinus."""

    def __init__(self, body, sign=1):
        super().__init__()
        self.body = body
        self.sign = sign

    def forward(self, x):
        return x + self.sign * self.body(x)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def case_seed(name):
    # Derived from the name so a case does not change when others are added
    # or reordered.
    return zlib.crc32(name.encode("ascii"))


def to_f32(a):
    """Round a tensor/array to a contiguous little-endian float32 array."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(a, dtype="<f4"))


class CaseWriter:
    """Collects the files of one case directory."""

    def __init__(self, out_dir, name):
        self.name = name
        self.dir = out_dir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        # Drop stale fixtures so a renamed parameter cannot linger.
        for old in self.dir.glob("*.npy"):
            old.unlink()
        self.files = []
        self.nbytes = 0

    def save(self, fname, value):
        arr = to_f32(value)
        path = self.dir / (fname + ".npy")
        np.save(path, arr, allow_pickle=False)
        self.files.append(fname)
        self.nbytes += path.stat().st_size

    def save_params(self, prefix, module):
        for key, value in module.state_dict().items():
            self.save(f"{prefix}.{key}", value)

    def save_grads(self, module):
        for key, p in module.named_parameters():
            self.save(f"grad.{key}", p.grad)

    def summary(self, extra=""):
        print(f"{self.name:24s} {len(self.files):3d} files "
              f"{self.nbytes / 1024:8.1f} KiB  {extra}")
        return self.nbytes


def make_module(seed, factory):
    """Build a module with PyTorch's default float32 init, seeded."""
    torch.manual_seed(seed)
    module = factory()
    # Snapshot the float32 init before converting; double() is exact.
    init = {k: v.clone() for k, v in module.state_dict().items()}
    return module.double(), init


def shape_str(t):
    return "x".join(str(d) for d in t.shape)


def relu_margin(pre):
    """Smallest |value| feeding a ReLU (computed in float64)."""
    return float(pre.abs().min())


def input_clear_of_kink(name, pre_activation, shape, rng):
    """Draws standard normal float32 inputs of `shape` from `rng` until no value of
    pre_activation(x) (the input of a ReLU, in float64) is within RELU_MARGIN of the kink, so the
    float32 C++ code cannot land on its other side. Returns the input and its margin."""
    for _ in range(1000):
        x = rng.standard_normal(shape, dtype=np.float32)
        with torch.no_grad():
            margin = relu_margin(pre_activation(torch.from_numpy(x).double()))
        if margin >= RELU_MARGIN:
            return x, margin
    raise RuntimeError(f"{name}: could not find an input clear of the kink")


# --------------------------------------------------------------------------
# Layer cases: x, y, gy, gx (+ param.*, grad.*)
# --------------------------------------------------------------------------

def layer_case(out_dir, name, factory, x_f32, rng, extra=""):
    """Forward/backward of one module on a fixed input and upstream grad."""
    seed = case_seed(name)
    module, init = make_module(seed, factory)
    w = CaseWriter(out_dir, name)

    x = torch.from_numpy(x_f32).double().requires_grad_(True)
    y = module(x)
    gy_f32 = rng.standard_normal(tuple(y.shape), dtype=np.float32)
    gy = torch.from_numpy(gy_f32).double()
    (y * gy).sum().backward()

    w.save("x", x_f32)
    w.save("y", y)
    w.save("gy", gy_f32)
    w.save("gx", x.grad)
    for key, value in init.items():
        w.save(f"param.{key}", value)
    w.save_grads(module)
    return w.summary(f"x {shape_str(x)} -> y {shape_str(y)} {extra}")


def conv_cases(out_dir):
    # name: (in, out, k, stride, pad, dil, N, H, W)
    specs = {
        "conv_basic": (2, 3, 3, 1, 0, 1, 1, 7, 7),
        "conv_pad1": (3, 4, 3, 1, 1, 1, 3, 6, 5),
        "conv_stride2": (3, 2, 3, 2, 0, 1, 3, 9, 8),
        "conv_stride2_pad1": (2, 3, 3, 2, 1, 1, 1, 8, 7),
        "conv_dil2": (2, 3, 3, 1, 1, 2, 3, 9, 9),
        "conv_k1": (4, 2, 1, 1, 0, 1, 1, 5, 5),
        "conv_k5_odd": (3, 2, 5, 2, 2, 1, 3, 11, 9),
    }
    total = 0
    for name, (cin, cout, k, s, p, d, n, h, wd) in specs.items():
        rng = np.random.default_rng(case_seed(name))
        x = rng.standard_normal((n, cin, h, wd), dtype=np.float32)
        total += layer_case(
            out_dir, name,
            lambda: nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d),
            x, rng)
    return total


def convt_cases(out_dir):
    # name: (in, out, k, stride, pad, output_padding, dil, N, H, W)
    specs = {
        "convt_basic": (2, 3, 3, 1, 0, 0, 1, 1, 5, 5),
        "convt_pad1": (3, 2, 3, 1, 1, 0, 1, 3, 6, 5),
        "convt_stride2": (3, 2, 3, 2, 0, 0, 1, 3, 4, 5),
        "convt_stride2_pad1_op1": (2, 3, 3, 2, 1, 1, 1, 1, 5, 4),
        "convt_dil2": (2, 3, 3, 1, 1, 0, 2, 3, 5, 6),
        "convt_k4_s2": (3, 2, 4, 2, 1, 0, 1, 1, 4, 4),
    }
    total = 0
    for name, (cin, cout, k, s, p, op, d, n, h, wd) in specs.items():
        rng = np.random.default_rng(case_seed(name))
        x = rng.standard_normal((n, cin, h, wd), dtype=np.float32)
        total += layer_case(
            out_dir, name,
            lambda: nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p,
                                       output_padding=op, dilation=d),
            x, rng)
    return total


def upsample_cases(out_dir):
    # name: (scale, C, N, H, W)
    specs = {
        "upsample2": (2, 3, 3, 4, 5),
        "upsample3": (3, 2, 1, 3, 3),
    }
    total = 0
    for name, (s, c, n, h, wd) in specs.items():
        rng = np.random.default_rng(case_seed(name))
        x = rng.standard_normal((n, c, h, wd), dtype=np.float32)
        total += layer_case(
            out_dir, name,
            lambda: nn.Upsample(scale_factor=s, mode="nearest"), x, rng)
    return total


def relu_case(out_dir):
    name = "relu"
    rng = np.random.default_rng(case_seed(name))
    x = rng.standard_normal((3, 3, 5, 4), dtype=np.float32)
    # Redraw entries too close to the kink, where the derivative is ambiguous.
    while True:
        near = np.abs(x) < RELU_MARGIN
        if not near.any():
            break
        x[near] = rng.standard_normal(int(near.sum()), dtype=np.float32)
    return layer_case(out_dir, name, nn.ReLU, x, rng,
                      f"min|x| {np.abs(x).min():.2e}")


def sigmoid_case(out_dir):
    name = "sigmoid"
    rng = np.random.default_rng(case_seed(name))
    x = rng.standard_normal((3, 3, 5, 4), dtype=np.float32)
    # Saturated inputs: checks the C++ sigmoid neither overflows exp() nor
    # returns NaN, and that its gradient underflows cleanly to ~0.
    big = [30.0, -30.0, 90.0, -90.0, 200.0, -200.0]
    flat = x.reshape(-1)
    for i, v in enumerate(big):
        flat[29 * i + 3] = v  # spread over samples and channels
    return layer_case(out_dir, name, nn.Sigmoid, x, rng,
                      f"{len(big)} saturated entries")


def skip_case(out_dir):
    name = "skip"
    seed = case_seed(name)

    def factory():
        return SkipConcat(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1),
                                        nn.ReLU()))

    # The conv weights are fixed by the seed; redraw the input until no
    # pre-activation sits within RELU_MARGIN of the ReLU kink.
    module, _ = make_module(seed, factory)
    rng = np.random.default_rng(seed)
    x, margin = input_clear_of_kink(name, module.body[0], (3, 3, 6, 6), rng)
    return layer_case(out_dir, name, factory, x, rng,
                      f"min|pre-ReLU| {margin:.2e}")


def mse_case(out_dir):
    name = "mse"
    rng = np.random.default_rng(case_seed(name))
    shape = (3, 3, 4, 4)
    x_f32 = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    t_f32 = rng.uniform(0.0, 1.0, shape).astype(np.float32)

    x = torch.from_numpy(x_f32).double().requires_grad_(True)
    t = torch.from_numpy(t_f32).double()
    loss = nn.MSELoss()(x, t)
    loss.backward()

    w = CaseWriter(out_dir, name)
    w.save("x", x_f32)
    w.save("target", t_f32)
    w.save("loss", loss.reshape(1))
    w.save("gx", x.grad)
    return w.summary(f"x {shape_str(x)} loss {loss.item():.6f}")


# --------------------------------------------------------------------------
# Whole-model cases: forward, loss, grads, two Adam and two SGD steps
# --------------------------------------------------------------------------

def model_initial():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 32, 3), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 3), nn.ReLU(),
        nn.ConvTranspose2d(32, 3, 3), nn.Sigmoid())


def model_final():
    return nn.Sequential(
        nn.Conv2d(3, 100, 3), nn.ReLU(),
        SkipConcat(nn.Sequential(
            nn.Conv2d(100, 100, 3), nn.ReLU(),
            nn.ConvTranspose2d(100, 100, 3), nn.ReLU())),
        nn.ConvTranspose2d(200, 3, 3), nn.Sigmoid())


def relu_inputs(model, x):
    """Min |pre-activation| over every ReLU in the model (diagnostic only)."""
    margins = []

    def hook(_module, inputs, _output):
        margins.append(relu_margin(inputs[0]))

    handles = [m.register_forward_hook(hook)
               for m in model.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return min(margins)


def train_two_steps(factory, init, x, t, make_opt):
    """Two optimizer steps from the stored initial params; returns
    (losses, model, the gradients of the second step by state_dict key)."""
    # Rebuild then load the exact float32 init, so both optimizers start
    # from identical weights regardless of RNG state.
    model = factory()
    model.load_state_dict(init)
    model.double()
    opt = make_opt(model.parameters())
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), t)
        loss.backward()
        grads = {k: p.grad.clone() for k, p in model.named_parameters()}
        opt.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64), model, grads


# The SGD modes besides the momentum run every model case has: plain SGD,
# momentum with dampening, Nesterov momentum. Run on model_initial only (the
# final model's parameters are 0.7 MB a set). A larger lr than the momentum
# run's, so that most weights move by far more than the tests' tolerance.
SGD_MODES = {
    "sgd_plain": dict(lr=0.5, momentum=0.0, dampening=0.0, weight_decay=1e-4,
                      nesterov=False),
    "sgd_dampening": dict(lr=0.5, momentum=0.9, dampening=0.5,
                          weight_decay=1e-4, nesterov=False),
    "sgd_nesterov": dict(lr=0.5, momentum=0.9, dampening=0.0,
                         weight_decay=1e-4, nesterov=True),
}


def model_case(out_dir, name, factory, sgd_modes=False):
    seed = case_seed(name)
    model, init = make_module(seed, factory)
    rng = np.random.default_rng(seed)
    shape = (2, 3, 32, 32)
    x_f32 = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    t_f32 = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    x = torch.from_numpy(x_f32).double()
    t = torch.from_numpy(t_f32).double()

    w = CaseWriter(out_dir, name)
    w.save("x", x_f32)
    w.save("target", t_f32)
    for key, value in init.items():
        w.save(f"param.{key}", value)

    y = model(x)
    loss = nn.functional.mse_loss(y, t)
    loss.backward()
    w.save("y", y)
    w.save("loss", loss.reshape(1))
    w.save_grads(model)

    adam_losses, adam, adam_grads = train_two_steps(
        factory, init, x, t,
        lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                   weight_decay=1e-4))
    w.save("adam_loss", adam_losses)
    w.save_params("adam", adam)
    # The second step's gradients: what the float tests need to tell the
    # effect of float gradients on Adam's second step from Adam's own rounding.
    for key, g in adam_grads.items():
        w.save(f"adam_grad2.{key}", g)

    sgd_losses, sgd, _ = train_two_steps(
        factory, init, x, t,
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0,
                                  weight_decay=1e-4, nesterov=False))
    w.save("sgd_loss", sgd_losses)
    w.save_params("sgd", sgd)

    if sgd_modes:
        for mode, options in SGD_MODES.items():
            losses, trained, _ = train_two_steps(
                factory, init, x, t,
                lambda p, o=options: torch.optim.SGD(p, **o))
            w.save(f"{mode}_loss", losses)
            w.save_params(mode, trained)

    margin = relu_inputs(model, x)
    return w.summary(f"loss {loss.item():.6f} "
                     f"adam {adam_losses[1].item():.6f} "
                     f"sgd {sgd_losses[1].item():.6f} "
                     f"min|pre-ReLU| {margin:.1e}")


# --------------------------------------------------------------------------
# BatchNorm2d: training mode (batch statistics, running statistics updated
# after one and two forwards) and evaluation mode (running statistics)
# --------------------------------------------------------------------------

def batchnorm_module(rng, c):
    """nn.BatchNorm2d(c) in float64 with float32 random affine parameters and
    running statistics (not PyTorch's 1/0 defaults, so every term shows)."""
    bn = nn.BatchNorm2d(c).double()
    values = {
        "weight": rng.uniform(0.5, 1.5, c).astype(np.float32),
        "bias": (0.5 * rng.standard_normal(c)).astype(np.float32),
        "running_mean": rng.standard_normal(c).astype(np.float32),
        "running_var": rng.uniform(0.5, 2.0, c).astype(np.float32),
    }
    with torch.no_grad():
        for key, v in values.items():
            getattr(bn, key).copy_(torch.from_numpy(v).double())
    return bn, values


def batchnorm_input(rng, shape):
    """Per-channel offsets and scales, so the batch statistics are not ~0/1."""
    c = shape[1]
    offset = rng.uniform(-3.0, 3.0, (1, c, 1, 1))
    scale = rng.uniform(0.5, 2.0, (1, c, 1, 1))
    return (offset + scale * rng.standard_normal(shape)).astype(np.float32)


def batchnorm_case(out_dir, name, shape, training):
    rng = np.random.default_rng(case_seed(name))
    bn, init = batchnorm_module(rng, shape[1])
    bn.train(training)
    w = CaseWriter(out_dir, name)
    x_f32 = batchnorm_input(rng, shape)
    x = torch.from_numpy(x_f32).double().requires_grad_(True)
    y = bn(x)
    gy_f32 = rng.standard_normal(shape, dtype=np.float32)
    (y * torch.from_numpy(gy_f32).double()).sum().backward()
    w.save("x", x_f32)
    w.save("y", y)
    w.save("gy", gy_f32)
    w.save("gx", x.grad)
    for key in ("weight", "bias"):
        w.save(f"param.{key}", init[key])
    for key in ("running_mean", "running_var"):
        w.save(f"buffer.{key}", init[key])
    w.save_grads(bn)
    extra = "eval"
    if training:
        # Running statistics after this forward and after a second one on
        # another batch (running_var from the unbiased batch variance).
        w.save("after1.running_mean", bn.running_mean)
        w.save("after1.running_var", bn.running_var)
        x2_f32 = batchnorm_input(rng, shape)
        with torch.no_grad():
            bn(torch.from_numpy(x2_f32).double())
        w.save("x2", x2_f32)
        w.save("after2.running_mean", bn.running_mean)
        w.save("after2.running_var", bn.running_var)
        extra = f"train, num_batches_tracked {int(bn.num_batches_tracked)}"
    return w.summary(f"x {shape_str(x)} {extra}")


def batchnorm_cases(out_dir):
    total = batchnorm_case(out_dir, "batchnorm_train", (4, 3, 5, 4), True)
    total += batchnorm_case(out_dir, "batchnorm_eval", (2, 4, 3, 5), False)
    return total


# --------------------------------------------------------------------------
# MaxPool2d (ties and NaN as PyTorch's CPU kernel picks them) and LeakyReLU
# --------------------------------------------------------------------------

def maxpool_input(rng, shape, kind):
    """normal: ties improbable.  ties: integers 0..2, so most windows hold
    several maxima.  nan_inf: normal, with a -inf corner (windows whose
    elements inside the input are all -inf) and NaNs, two in one window."""
    if kind == "ties":
        return rng.integers(0, 3, shape).astype(np.float32)
    x = rng.standard_normal(shape, dtype=np.float32)
    if kind == "nan_inf":
        x[0, 0, 0:2, 0:2] = -np.inf
        x[0, 0, 3, 4] = np.inf
        x[0, 1, 2, 2] = np.nan
        x[0, 1, 2, 3] = np.nan
        x[0, 1, 4, 0] = np.nan
    return x


def maxpool_cases(out_dir):
    # name: (K, stride, padding, N, C, H, W, input kind)
    specs = {
        "maxpool2": (2, 2, 0, 2, 3, 6, 7, "normal"),
        "maxpool3_s2_p1": (3, 2, 1, 2, 2, 7, 8, "normal"),
        "maxpool2_s3": (2, 3, 0, 1, 2, 8, 7, "normal"),
        "maxpool3_s1_p1_ties": (3, 1, 1, 2, 2, 6, 7, "ties"),
        "maxpool4_s2_p2_ties": (4, 2, 2, 1, 3, 9, 8, "ties"),
        "maxpool2_s1_p1_nan_inf": (2, 1, 1, 1, 2, 5, 6, "nan_inf"),
    }
    total = 0
    for name, (k, s, p, n, c, h, wd, kind) in specs.items():
        rng = np.random.default_rng(case_seed(name))
        x = maxpool_input(rng, (n, c, h, wd), kind)
        total += layer_case(
            out_dir, name,
            lambda: nn.MaxPool2d(k, stride=s, padding=p), x, rng, kind)
    return total


def leaky_relu_cases(out_dir):
    # name: negative_slope (0.01 is PyTorch's default, 0.1 the Noise2Noise
    # U-Net's)
    specs = {
        "leaky_relu": 0.01,
        "leaky_relu_1_10": 0.1,
    }
    total = 0
    for name, slope in specs.items():
        rng = np.random.default_rng(case_seed(name))
        x = rng.standard_normal((3, 3, 5, 4), dtype=np.float32)
        flat = x.reshape(-1)
        flat[[5, 23, 41]] = 0.0  # the kink: y 0, gradient the slope
        flat[59] = -0.0
        flat[[7, 77]] = [-300.0, 250.0]
        total += layer_case(out_dir, name, lambda: nn.LeakyReLU(slope), x,
                            rng, f"slope {slope}")
    return total


# --------------------------------------------------------------------------

def residual_cases(out_dir):
    """Residual (x + body(x)) and InputMinus (x - body(x)), each around a
    conv / ReLU / conv body, with an input clear of the ReLU's kink."""
    total = 0
    for name, sign in (("residual", 1), ("input_minus", -1)):
        seed = case_seed(name)

        def factory(sign=sign):
            return Residual(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                          nn.Conv2d(4, 3, 1)), sign)

        module, _ = make_module(seed, factory)
        rng = np.random.default_rng(seed)
        x, margin = input_clear_of_kink(name, module.body[0], (2, 3, 5, 6), rng)
        total += layer_case(out_dir, name, factory, x, rng, f"min|pre-ReLU| {margin:.2e}")
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help=f"output directory (default: {DEFAULT_OUT})")
    args = parser.parse_args()

    # The machine is shared; one thread also keeps reductions in a fixed
    # order for reproducibility.
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)

    total = 0
    total += conv_cases(args.out)
    total += convt_cases(args.out)
    total += upsample_cases(args.out)
    total += relu_case(args.out)
    total += sigmoid_case(args.out)
    total += skip_case(args.out)
    total += mse_case(args.out)
    total += model_case(args.out, "model_initial", model_initial,
                        sgd_modes=True)
    total += model_case(args.out, "model_final", model_final)
    total += batchnorm_cases(args.out)
    total += maxpool_cases(args.out)
    total += leaky_relu_cases(args.out)
    total += residual_cases(args.out)
    print(f"total {total / 1024:.1f} KiB in {args.out}")


if __name__ == "__main__":
    main()
