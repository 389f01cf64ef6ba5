package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tfhub-go/tfhub/kernels/internal/gemm"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// refConvNHWC is the straightforward float64 NHWC convolution (SAME or
// VALID, no dilation); depthwise convolves each channel with its own
// filter [kh, kw, c, 1].
func refConvNHWC(x, f *tensor.Tensor, stride int, same, depthwise bool) *tensor.Tensor {
	n, h, w, cin := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	kh, kw, cout := f.Dim(0), f.Dim(1), f.Dim(3)
	if depthwise {
		cout = cin
	}
	oh, ow := (h-kh)/stride+1, (w-kw)/stride+1
	padT, padL := 0, 0
	if same {
		oh, ow = (h+stride-1)/stride, (w+stride-1)/stride
		padT = max(0, ((oh-1)*stride+kh-h)/2)
		padL = max(0, ((ow-1)*stride+kw-w)/2)
	}
	xs, fs := x.Float32s(), f.Float32s()
	out := make([]float32, n*oh*ow*cout)
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for co := 0; co < cout; co++ {
					var acc float64
					for ky := 0; ky < kh; ky++ {
						iy := oy*stride - padT + ky
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < kw; kx++ {
							ix := ox*stride - padL + kx
							if ix < 0 || ix >= w {
								continue
							}
							if depthwise {
								acc += float64(xs[((b*h+iy)*w+ix)*cin+co]) * float64(fs[(ky*kw+kx)*cin+co])
								continue
							}
							for ci := 0; ci < cin; ci++ {
								acc += float64(xs[((b*h+iy)*w+ix)*cin+ci]) * float64(fs[((ky*kw+kx)*cin+ci)*cout+co])
							}
						}
					}
					out[((b*oh+oy)*ow+ox)*cout+co] = float32(acc)
				}
			}
		}
	}
	return tensor.New(out, n, oh, ow, cout)
}

// TestKernelsOnEveryPath runs the GEMM- and SIMD-backed kernels (Conv2D,
// DepthwiseConv2dNative, the fused ops, MatMul with transposes, Relu6,
// Softmax, Exp, Tanh, Sigmoid, MaxPool, BiasAdd) under every GEMM path and every SIMD path this machine
// supports, at odd sizes, against straightforward references.
func TestKernelsOnEveryPath(t *testing.T) {
	for _, gp := range gemm.Paths() {
		for _, sp := range simd.Paths() {
			t.Run(fmt.Sprintf("gemm=%s/simd=%s", gp, sp), func(t *testing.T) {
				rg, err := gemm.SetPath(gp)
				if err != nil {
					t.Fatal(err)
				}
				defer rg()
				rs, err := simd.SetPath(sp)
				if err != nil {
					t.Fatal(err)
				}
				defer rs()
				r := rand.New(rand.NewPCG(11, 13))
				for _, tc := range []struct {
					h, w, cin, k, cout, stride int
					same                       bool
				}{
					{7, 13, 3, 3, 17, 2, true}, {13, 7, 13, 1, 7, 1, false}, {1, 1, 7, 1, 1000, 1, true}, {9, 9, 16, 3, 32, 1, true},
				} {
					x := randF32(r, 2, tc.h, tc.w, tc.cin)
					pad := map[bool]string{true: "SAME", false: "VALID"}[tc.same]
					a := attrs{"strides": []int{1, tc.stride, tc.stride, 1}, "padding": pad}
					f := randF32(r, tc.k, tc.k, tc.cin, tc.cout)
					want := refConvNHWC(x, f, tc.stride, tc.same, false)
					check(t, run(t, "Conv2D", a, x, f)[0], want, 1e-4)
					df := randF32(r, tc.k, tc.k, tc.cin, 1)
					dwant := refConvNHWC(x, df, tc.stride, tc.same, true)
					check(t, run(t, "DepthwiseConv2dNative", a, x, df)[0], dwant, 1e-4)
					// Fused: bias then Relu6, against the reference then a
					// scalar epilogue.
					bias := randF32(r, tc.cout)
					fa := attrs{"strides": a["strides"], "padding": pad, "fused_ops": []string{"BiasAdd", "Relu6"}, "num_args": 1}
					fw := append([]float32(nil), want.Float32s()...)
					for i := range fw {
						fw[i] = float32(math.Min(6, math.Max(0, float64(fw[i])+float64(bias.Float32s()[i%tc.cout]))))
					}
					check(t, run(t, "_FusedConv2D", fa, x, f, bias)[0], tensor.New(fw, want.Shape()...), 1e-4)
					dbias := randF32(r, tc.cin)
					dw := append([]float32(nil), dwant.Float32s()...)
					for i := range dw {
						dw[i] = float32(math.Min(6, math.Max(0, float64(dw[i])+float64(dbias.Float32s()[i%tc.cin]))))
					}
					check(t, run(t, "_FusedDepthwiseConv2dNative", fa, x, df, dbias)[0], tensor.New(dw, dwant.Shape()...), 1e-4)
				}
				for _, mk := range [][3]int{{1, 1000, 13}, {7, 13, 1000}, {13, 7, 1}, {33, 17, 64}} {
					m, n, k := mk[0], mk[1], mk[2]
					for _, ta := range []bool{false, true} {
						for _, tb := range []bool{false, true} {
							a, b := randF32(r, m, k), randF32(r, k, n)
							want := make([]float32, m*n)
							for i := 0; i < m; i++ {
								for j := 0; j < n; j++ {
									var s float64
									for p := 0; p < k; p++ {
										s += float64(a.Float32s()[i*k+p]) * float64(b.Float32s()[p*n+j])
									}
									want[i*n+j] = float32(s)
								}
							}
							aa, bb := a, b
							if ta {
								aa = transpose2(a)
							}
							if tb {
								bb = transpose2(b)
							}
							got := run(t, "MatMul", attrs{"transpose_a": ta, "transpose_b": tb}, aa, bb)[0]
							check(t, got, tensor.New(want, m, n), 1e-4)
						}
					}
				}
				x := randF32(r, 3, 1027)
				six := run(t, "Relu6", nil, tensor.New(scaled(x.Float32s(), 8), 3, 1027))[0]
				for i, v := range scaled(x.Float32s(), 8) {
					if w := float32(math.Min(6, math.Max(0, float64(v)))); six.Float32s()[i] != w {
						t.Fatalf("Relu6 [%d] = %v, want %v", i, six.Float32s()[i], w)
					}
				}
				// Softmax and the exp-based activations, within a few ulp of
				// float64 math.
				sx := tensor.New(scaled(x.Float32s(), 5), 3, 1027)
				sm := run(t, "Softmax", nil, sx)[0].Float32s()
				for row := 0; row < 3; row++ {
					v := sx.Float32s()[row*1027 : (row+1)*1027]
					mx := math.Inf(-1)
					for _, e := range v {
						mx = math.Max(mx, float64(e))
					}
					var sum float64
					for _, e := range v {
						sum += math.Exp(float64(e) - mx)
					}
					for i, e := range v {
						w := math.Exp(float64(e)-mx) / sum
						if g := float64(sm[row*1027+i]); math.Abs(g-w) > 1e-6*w+1e-12 {
							t.Fatalf("Softmax [%d,%d] = %v, want %v", row, i, g, w)
						}
					}
				}
				for _, u := range []struct {
					op  string
					ref func(float64) float64
				}{{"Exp", math.Exp}, {"Tanh", math.Tanh}, {"Sigmoid", func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }}} {
					got := run(t, u.op, nil, sx)[0].Float32s()
					for i, v := range sx.Float32s() {
						w := u.ref(float64(v))
						if g := float64(got[i]); math.Abs(g-w) > 4e-7*math.Abs(w)+1e-30 {
							t.Fatalf("%s(%v) = %v, want %v", u.op, v, g, w)
						}
					}
				}
				// MaxPool 3x3 stride 2 VALID, channels a multiple of 8 and not.
				for _, ch := range []int{16, 13} {
					px := randF32(r, 2, 9, 9, ch)
					got := run(t, "MaxPool", attrs{"ksize": []int{1, 3, 3, 1}, "strides": []int{1, 2, 2, 1}, "padding": "VALID"}, px)[0].Float32s()
					v := px.Float32s()
					for i := range got {
						c, ox, oy, b := i%ch, i/ch%4, i/ch/4%4, i/ch/16
						w := float32(math.Inf(-1))
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								w = max(w, v[((b*9+oy*2+ky)*9+ox*2+kx)*ch+c])
							}
						}
						if got[i] != w {
							t.Fatalf("MaxPool ch=%d [%d] = %v, want %v", ch, i, got[i], w)
						}
					}
				}
				b := randF32(r, 1027)
				got := run(t, "BiasAdd", nil, x, b)[0]
				for i, v := range x.Float32s() {
					if w := v + b.Float32s()[i%1027]; got.Float32s()[i] != w {
						t.Fatalf("BiasAdd [%d] = %v, want %v", i, got.Float32s()[i], w)
					}
				}
			})
		}
	}
}

func scaled(v []float32, s float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * s
	}
	return out
}

// transpose2 transposes a float32 matrix.
func transpose2(a *tensor.Tensor) *tensor.Tensor {
	m, n := a.Dim(0), a.Dim(1)
	v := a.Float32s()
	out := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			out[j*m+i] = v[i*n+j]
		}
	}
	return tensor.New(out, n, m)
}
