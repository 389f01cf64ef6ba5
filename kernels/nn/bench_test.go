package nn

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/kerneltest"
	"github.com/tfhub-go/tfhub/tensor"
)

// benchOp runs op repeatedly on fixed inputs and reports GFLOP/s for the
// given number of floating-point operations per run.
func benchOp(b *testing.B, op string, a attrs, flops float64, in ...*tensor.Tensor) {
	n, err := kerneltest.NewNode(op, a)
	if err != nil {
		b.Fatal(err)
	}
	d, _ := kernels.Lookup(op)
	env := &kerneltest.Env{}
	b.ResetTimer()
	for b.Loop() {
		c := kernels.NewContext(context.Background(), n, in, nil, env)
		if err := d.Fn(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkConv2D runs MobileNet-like layers at batch 1.
func BenchmarkConv2D(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	same := func(s int) attrs { return attrs{"strides": []int{1, s, s, 1}, "padding": "SAME"} }
	for _, tc := range []struct {
		name      string
		depthwise bool
		h, cin    int
		k, cout   int
		stride    int
	}{
		{"112x112x32-32_3x3", false, 112, 32, 3, 32, 1},
		{"112x112x32-64_1x1", false, 112, 32, 1, 64, 1},
		{"56x56x128-128_3x3", false, 56, 128, 3, 128, 1},
		{"56x56x128_dw3x3", true, 56, 128, 3, 1, 1},
		{"14x14x512-512_1x1", false, 14, 512, 1, 512, 1},
		{"14x14x512_dw3x3", true, 14, 512, 3, 1, 1},
		{"224x224x3-32_3x3_s2", false, 224, 3, 3, 32, 2},
	} {
		b.Run(tc.name, func(b *testing.B) {
			x := randF32(r, 1, tc.h, tc.h, tc.cin)
			oh := (tc.h + tc.stride - 1) / tc.stride
			if tc.depthwise {
				f := randF32(r, tc.k, tc.k, tc.cin, tc.cout)
				flops := 2 * float64(oh*oh*tc.cin*tc.cout*tc.k*tc.k)
				benchOp(b, "DepthwiseConv2dNative", same(tc.stride), flops, x, f)
				return
			}
			f := randF32(r, tc.k, tc.k, tc.cin, tc.cout)
			flops := 2 * float64(oh*oh*tc.cout*tc.k*tc.k*tc.cin)
			benchOp(b, "Conv2D", same(tc.stride), flops, x, f)
		})
	}
}

// BenchmarkConv2DBackprop measures the training-time gradients of a 3x3
// layer.
func BenchmarkConv2DBackprop(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	a := attrs{"strides": []int{1, 1, 1, 1}, "padding": "SAME"}
	x := randF32(r, 8, 28, 28, 32)
	f := randF32(r, 3, 3, 32, 32)
	dy := randF32(r, 8, 28, 28, 32)
	flops := 2 * float64(8*28*28*32*9*32)
	b.Run("input", func(b *testing.B) {
		benchOp(b, "Conv2DBackpropInput", a, flops, i32(sh(4), 8, 28, 28, 32), f, dy)
	})
	b.Run("filter", func(b *testing.B) {
		benchOp(b, "Conv2DBackpropFilter", a, flops, x, i32(sh(4), 3, 3, 32, 32), dy)
	})
}

func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	x := randF32(r, 32, 784)
	w := randF32(r, 784, 128)
	benchOp(b, "MatMul", nil, 2*32*784*128, x, w)
}

// BenchmarkDepthwiseBackprop measures the training-time gradients of a
// MobileNet depthwise layer (3x3, stride 1, 56x56x144, batch 8).
func BenchmarkDepthwiseBackprop(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	a := attrs{"strides": []int{1, 1, 1, 1}, "padding": "SAME"}
	x := randF32(r, 8, 56, 56, 144)
	f := randF32(r, 3, 3, 144, 1)
	dy := randF32(r, 8, 56, 56, 144)
	flops := 2 * float64(8*56*56*144*9)
	b.Run("input", func(b *testing.B) {
		benchOp(b, "DepthwiseConv2dNativeBackpropInput", a, flops, i32(sh(4), 8, 56, 56, 144), f, dy)
	})
	b.Run("filter", func(b *testing.B) {
		benchOp(b, "DepthwiseConv2dNativeBackpropFilter", a, flops, x, i32(sh(4), 3, 3, 144, 1), dy)
	})
}
