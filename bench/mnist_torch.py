#!/usr/bin/env python3
"""Time one training epoch of the MNIST seed model in PyTorch (eager).

    mnist_torch.py MNIST_DIR [--threads 2] [--warmup 1] [--runs 1]

The model and training are those of tfhub-go's seed model (bench/gobench
mnist_epoch): 28x28 uint8 input, flatten, float/255, Linear(784, 10)
with softmax cross-entropy, Adam (lr 0.001, betas 0.9/0.999, eps 1e-7 as
in Keras), batch 32, shuffled, on the first 48,000 training images (Keras'
validation_split=0.2 keeps the last 20% apart), computing the batch
accuracy at every step as Keras' metric does. MNIST_DIR holds the IDX
files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz); gobench
mnist_dir prints where tfhub-go keeps them. Each run starts from a fresh
model; the epoch loop is timed, data already in tensors. Prints one line
of JSON: the milliseconds of each timed epoch.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def epoch(x, y, generator):
    model = torch.nn.Linear(784, 10)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    lossf = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    perm = torch.randperm(len(x), generator=generator)
    correct = 0
    for i in range(0, len(x), 32):
        b = perm[i:i + 32]
        xb = x[b].reshape(-1, 784).float() / 255
        yb = y[b]
        out = model(xb)
        loss = lossf(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        correct += (out.argmax(1) == yb).sum().item()
    return (time.perf_counter() - t0) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mnist_dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(idx(os.path.join(args.mnist_dir, "train-images-idx3-ubyte.gz"))[:48000].copy())
    y = torch.from_numpy(idx(os.path.join(args.mnist_dir, "train-labels-idx1-ubyte.gz"))[:48000].astype(np.int64))
    g = torch.Generator().manual_seed(0)
    for _ in range(args.warmup):
        epoch(x, y, g)
    ms = [epoch(x, y, g) for _ in range(args.runs)]
    print(json.dumps({"ms": ms, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
