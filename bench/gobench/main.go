// Command gobench is tfhub-go's contender in bench/models.sh: it runs one
// workload and prints one line of JSON, {"ms": [per-run milliseconds],
// "version": ...}, the format of the other contenders (bench/models.py,
// bench/ort_bench.js).
//
//	gobench mobilenet_v2|resnet50 [--batch 1] [--warmup 5] [--runs 20]
//	gobench mnist_epoch [--runs 1] [--warmup 1]
//	gobench savedmodel [--warmup 5] [--runs 20] DIR
//	gobench mnist_dir
//
// mobilenet_v2 and resnet50 are the graphs of internal/benchmodels (the
// project's ops, random weights, inference batch norms that the load-time
// optimizer folds into the filters); mobilenet_v2 is also the graph of the
// go test benchmark. mnist_epoch trains the
// seed model (flatten, cast/255, dense softmax; Adam, sparse categorical
// cross-entropy, accuracy) for one epoch on the first 48,000 MNIST
// training images with batch 32, as Keras does with
// validation_split=0.2; every run starts from a fresh model. mnist_dir
// prints the directory of the MNIST files, for the PyTorch contender.
// Threads follow GOMAXPROCS.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/internal/benchmodels"
	"github.com/tfhub-go/tfhub/keras"
	"github.com/tfhub-go/tfhub/keras/datasets/mnist"
	_ "github.com/tfhub-go/tfhub/kernels/all"
	rt "github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobench mobilenet_v2|resnet50|mnist_epoch|savedmodel|mnist_dir [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	batch := fs.Int("batch", 1, "batch size (mobilenet_v2)")
	warmup := fs.Int("warmup", 5, "untimed runs first")
	runs := fs.Int("runs", 20, "timed runs")
	_ = fs.Parse(os.Args[2:])
	ctx := context.Background()
	var ms []float64
	var err error
	switch os.Args[1] {
	case "mobilenet_v2":
		ms, err = imageModel(ctx, benchmodels.MobileNetV2, *batch, *warmup, *runs)
	case "resnet50":
		ms, err = imageModel(ctx, benchmodels.ResNet50, *batch, *warmup, *runs)
	case "mnist_epoch":
		ms, err = mnistEpoch(ctx, *warmup, *runs)
	case "savedmodel":
		if fs.NArg() != 1 {
			err = fmt.Errorf("usage: gobench savedmodel [flags] DIR")
			break
		}
		ms, err = savedModel(ctx, fs.Arg(0), *warmup, *runs)
	case "mnist_dir":
		var dir string
		if dir, err = mnist.Fetch(ctx); err == nil {
			fmt.Println(dir)
			return
		}
	default:
		err = fmt.Errorf("unknown workload %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		os.Exit(1)
	}
	version := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				version = s.Value[:7]
			}
		}
	}
	out, _ := json.Marshal(map[string]any{"ms": ms, "version": version, "threads": runtime.GOMAXPROCS(0)})
	fmt.Println(string(out))
}

func imageModel(ctx context.Context, build func(int) (*graph.Graph, graph.Output, graph.Output), batch, warmup, runs int) ([]float64, error) {
	g, x, logits := build(batch)
	gd, err := g.GraphDef()
	if err != nil {
		return nil, err
	}
	s, err := rt.NewSession(gd, rt.Options{})
	if err != nil {
		return nil, err
	}
	in := make([]float32, batch*224*224*3)
	for i := range in {
		in[i] = float32(i%255) / 255
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(in, batch, 224, 224, 3)}
	return timeRuns(warmup, runs, func() error {
		_, err := s.Run(ctx, feeds, []string{logits.Name()}, nil)
		return err
	})
}

func mnistEpoch(ctx context.Context, warmup, runs int) ([]float64, error) {
	train, _, err := mnist.Load(ctx)
	if err != nil {
		return nil, err
	}
	sub := train.Subset(48000)
	var m *keras.Functional
	prepare := func() error {
		input := keras.Input([]int{28, 28}, tensor.Int32)
		h := keras.Flatten().Apply(input)
		h = keras.Lambda(func(x graph.Output) graph.Output { return ops.Div(ops.Cast(x, tensor.Float32), ops.Scalar(255)) }).Apply(h)
		m = keras.Model(input, keras.Dense(10, keras.WithActivation("softmax")).Apply(h))
		return m.Compile(keras.SparseCategoricalCrossentropy(), keras.Adam(), keras.Metrics("acc"))
	}
	var ms []float64
	for i := 0; i < warmup+runs; i++ {
		if err := prepare(); err != nil {
			return nil, err
		}
		t := time.Now()
		if _, err := m.Fit(ctx, sub.X, sub.Y, keras.Epochs(1), keras.BatchSize(32), keras.Output(io.Discard)); err != nil {
			return nil, err
		}
		if i >= warmup {
			ms = append(ms, float64(time.Since(t).Microseconds())/1000)
		}
	}
	return ms, nil
}

func timeRuns(warmup, runs int, f func() error) ([]float64, error) {
	for i := 0; i < warmup; i++ {
		if err := f(); err != nil {
			return nil, err
		}
	}
	ms := make([]float64, 0, runs)
	for i := 0; i < runs; i++ {
		t := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		ms = append(ms, float64(time.Since(t).Microseconds())/1000)
	}
	return ms, nil
}

func savedModel(ctx context.Context, dir string, warmup, runs int) ([]float64, error) {
	m, err := savedmodel.Load(ctx, dir)
	if err != nil {
		return nil, err
	}
	sig := m.Signature("serving_default")
	if sig == nil {
		return nil, fmt.Errorf("%s has no serving_default signature", dir)
	}
	in := map[string]*tensor.Tensor{}
	for _, sp := range sig.Inputs {
		if t, err := tensor.LoadNPY(filepath.Join(filepath.Dir(dir), "in_"+sp.Key+".npy")); err == nil {
			in[sp.Key] = t
			continue
		}
		shape := make([]int, len(sp.Spec.Shape))
		n := 1
		for i, d := range sp.Spec.Shape {
			shape[i] = max(d, 1)
			n *= shape[i]
		}
		if sp.Spec.DType != tensor.Float32 {
			return nil, fmt.Errorf("input %s is %v: give it as in_%s.npy", sp.Key, sp.Spec.DType, sp.Key)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%255) / 255
		}
		in[sp.Key] = tensor.New(v, shape...)
	}
	return timeRuns(warmup, runs, func() error {
		_, err := sig.Call(ctx, in)
		return err
	})
}
