#!/usr/bin/python3
"""Evaluates a trained ctnn checkpoint in PyTorch, image by image, on a data set's validation pairs.

Loads model.safetensors (the trainer's --out) into train_reference.py's mirror of the model and
prints the pooled and mean-per-image PSNR (as the trainer computes them) with the five worst
images, in evaluation mode (BatchNorm's running statistics) and in training mode (each batch's
own statistics). With --recalibrate N it also recomputes the running statistics as the plain
average over the first N training inputs (momentum None) and evaluates again. For a network
without batch norm the two modes agree.

Usage: /usr/bin/python3 tools/pytorch/evaluate_checkpoint.py --model dncnn \
           --weights out/model.safetensors --data data/photos [--recalibrate 4000]
"""

import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_roundtrip import read_safetensors  # noqa: E402
from train_reference import (load_images, make_model, psnr_from_squared_errors,  # noqa: E402
                             squared_errors, to_unit)


def report(label, se, clean):
    pooled, mean = psnr_from_squared_errors(se, clean[0].numel())
    mse = se / clean[0].numel()
    worst = torch.argsort(mse, descending=True)[:5].tolist()
    shown = ", ".join(f"#{j} {mse[j].item():.4f} (clean mean {clean[j].float().mean().item():.0f})"
                      for j in worst)
    print(f"{label}: pooled {pooled:.2f} dB, mean per image {mean:.2f} dB; worst MSE: {shown}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", required=True, help="model.safetensors written by the trainer")
    ap.add_argument("--data", required=True, help="directory with val_input.npy, val_target.npy")
    ap.add_argument("--batch-size", type=int, default=8,
                    help="images per forward pass (training mode's batch statistics)")
    ap.add_argument("--recalibrate", type=int, default=0, metavar="N")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model = make_model(args.model)
    state, _ = read_safetensors(args.weights)
    model.load_state_dict(state)
    noisy = load_images(os.path.join(args.data, "val_input.npy"))
    clean = load_images(os.path.join(args.data, "val_target.npy"))

    report("noisy input", ((to_unit(noisy).double() - to_unit(clean).double()) ** 2)
           .flatten(1).sum(1), clean)
    report("evaluation mode", squared_errors(model, noisy, clean, args.batch_size), clean)
    report(f"training mode (batches of {args.batch_size})",
           squared_errors(model, noisy, clean, args.batch_size, training=True), clean)
    if args.recalibrate:
        model.load_state_dict(state)  # the training-mode passes above moved the statistics
        train = load_images(os.path.join(args.data, "train_input.npy"))[:args.recalibrate]
        norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a plain average over all batches
        model.train()
        with torch.no_grad():
            for i in range(0, train.shape[0], args.batch_size):
                model(to_unit(train[i:i + args.batch_size]))
        report(f"evaluation mode, statistics averaged over {train.shape[0]} training inputs",
               squared_errors(model, noisy, clean, args.batch_size), clean)


if __name__ == "__main__":
    main()
