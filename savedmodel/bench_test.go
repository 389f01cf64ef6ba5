package savedmodel_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

// BenchmarkCallTinyModel measures the per-call overhead of a signature on a
// tiny graph (y = 0.5x + 2), which is almost all runtime, no arithmetic.
func BenchmarkCallTinyModel(b *testing.B) {
	m := load(b, "half_plus_two_tf1")
	s := m.Signature("serving_default")
	in := map[string]*tensor.Tensor{"x": tensor.New([]float32{1}, 1, 1)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Call(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkCallTF2Function measures a TF2 signature that calls a library
// function through StatefulPartitionedCall.
func BenchmarkCallTF2Function(b *testing.B) {
	m := load(b, "half_plus_two_tf2")
	s := m.Signature("serving_default")
	in := map[string]*tensor.Tensor{"x": tensor.New([]float32{1})}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Call(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkConvertedModels runs the two real image models converted from
// TensorFlow.js (BlazeFace 128x128x3 and a 64x64x1 classifier) on their
// reference input at batch 1, with the load-time optimizer (default) and
// without it, and reports ms per image and images/s.
func BenchmarkConvertedModels(b *testing.B) {
	for _, name := range []string{"facemesh-detection-short", "gender"} {
		for _, opt := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/optimizer=%v", name, opt), func(b *testing.B) {
				base := filepath.Join(shared, "converted", name)
				var opts []savedmodel.Option
				if !opt {
					opts = append(opts, savedmodel.WithoutOptimizer())
				}
				m, err := savedmodel.Load(context.Background(), filepath.Join(base, "frozen"), opts...)
				if err != nil {
					b.Skipf("converted model %s: %v", name, err)
				}
				s := m.Signature("serving_default")
				in := map[string]*tensor.Tensor{}
				for _, sp := range s.Inputs {
					if in[sp.Key], err = tensor.LoadNPY(filepath.Join(base, "in_"+sp.Key+".npy")); err != nil {
						b.Fatal(err)
					}
				}
				ctx := context.Background()
				if _, err := s.Call(ctx, in); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if _, err := s.Call(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1000, "ms/image")
				b.ReportMetric(1/sec, "images/s")
			})
		}
	}
}
