#!/usr/bin/env python3
"""Summarize the samples of models.sh: per model and contender, the
min/median/max over samples of each sample's median latency, with the
load average after each sample, and the ratios between contenders
(relative to ONNX Runtime, and tfhub-go relative to each other
contender). A call of mnist_epoch is one training epoch of 48,000
images."""
import json
import statistics
import sys
import time


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    samples, versions = {}, {}
    for line in sys.stdin:
        label, rest = line.split(" ", 1)
        js, load = rest.rsplit(" ", 1)
        d = json.loads(js)
        samples.setdefault(label, []).append((statistics.median(d["ms"]), float(load)))
        versions[label.split("/")[1]] = d.get("torch") or d.get("version")
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; cpu: {model}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print()
    print(f"Latency per call, batch {batch}, 2 threads, ms (median of each sample; load average after it)")
    print()
    print("| model | contender | min | median | max | images/s (median) | samples (load) |")
    print("|---|---|---|---|---|---|---|")
    med = {}
    for label, s in samples.items():
        ms = [x[0] for x in s]
        med[label] = statistics.median(ms)
        m, c = label.split("/", 1)
        shown = ", ".join(f"{x:.2f} ({l:.1f})" for x, l in s)
        images = 48000 if m == "mnist_epoch" else batch
        print(f"| {m} | {c} | {min(ms):.2f} | {med[label]:.2f} | {max(ms):.2f} | {1000 * images / med[label]:.0f} | {shown} |")
    print()
    for m in sorted({k.split('/')[0] for k in med}):
        ort = med.get(f"{m}/onnxruntime")
        parts = [f"{c.split('/')[1]} {med[c] / ort:.2f}x" for c in med if c.startswith(m + "/") and ort and not c.endswith("onnxruntime")]
        if parts:
            print(f"- {m}, latency relative to ONNX Runtime: " + ", ".join(parts))
        go = med.get(f"{m}/tfhub-go")
        parts = [f"{c.split('/')[1]} {go / med[c]:.2f}x" for c in med if c.startswith(m + "/") and go and not c.endswith("tfhub-go")]
        if parts:
            print(f"- {m}, tfhub-go's latency relative to: " + ", ".join(parts) + " (below 1: tfhub-go is faster)")


if __name__ == "__main__":
    main()
