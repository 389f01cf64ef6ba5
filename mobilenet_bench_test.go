package tfhub_test

import (
	"context"
	"testing"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/internal/benchmodels"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/tensor"
)

// BenchmarkMobileNetV2 runs MobileNetV2-shaped inference at batch 1 and 32
// and reports ms per batch and images/s.
func BenchmarkMobileNetV2(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run("batch="+itoa(batch), func(b *testing.B) {
			g, x, logits := benchmodels.MobileNetV2(batch)
			gd, err := g.GraphDef()
			if err != nil {
				b.Fatal(err)
			}
			s, err := runtime.NewSession(gd, runtime.Options{})
			if err != nil {
				b.Fatal(err)
			}
			in := make([]float32, batch*224*224*3)
			for i := range in {
				in[i] = float32(i%255) / 255
			}
			feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(in, batch, 224, 224, 3)}
			ctx := context.Background()
			if _, err := s.Run(ctx, feeds, []string{logits.Name()}, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Run(ctx, feeds, []string{logits.Name()}, nil); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*1000, "ms/batch")
			b.ReportMetric(float64(batch)/sec, "images/s")
		})
	}
}

// TestMobileNetV2Runs checks the benchmark's graph: it validates, runs and
// gives a finite [1, 1000] output.
func TestMobileNetV2Runs(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the MobileNetV2 forward pass in -short mode")
	}
	g, x, logits := benchmodels.MobileNetV2(1)
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.Validate(gd, nil); err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(context.Background(), map[string]*tensor.Tensor{x.Name(): tensor.New(make([]float32, 224*224*3), 1, 224, 224, 3)}, []string{logits.Name()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Shape(); len(got) != 2 || got[0] != 1 || got[1] != 1000 {
		t.Fatalf("logits shape %v", got)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
