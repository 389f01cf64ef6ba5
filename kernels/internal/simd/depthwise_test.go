package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refDepthwise is the straightforward float64 definition.
func refDepthwise(p DepthwiseParams, x, w, scale, bias []float32, lo, hi float32) []float32 {
	y := make([]float32, p.N*p.OH*p.OW*p.C)
	for b := 0; b < p.N; b++ {
		for oy := 0; oy < p.OH; oy++ {
			for ox := 0; ox < p.OW; ox++ {
				for c := 0; c < p.C; c++ {
					var acc float64
					for ky := 0; ky < p.KH; ky++ {
						iy := oy*p.StrideH - p.PadTop + ky*p.DilH
						if iy < 0 || iy >= p.H {
							continue
						}
						for kx := 0; kx < p.KW; kx++ {
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilW
							if ix < 0 || ix >= p.W {
								continue
							}
							acc += float64(x[((b*p.H+iy)*p.W+ix)*p.C+c]) * float64(w[(ky*p.KW+kx)*p.C+c])
						}
					}
					if scale != nil {
						acc *= float64(scale[c])
					}
					if bias != nil {
						acc += float64(bias[c])
					}
					y[((b*p.OH+oy)*p.OW+ox)*p.C+c] = clamp1(float32(acc), lo, hi)
				}
			}
		}
	}
	return y
}

// outSize is the output size of SAME-style padding pad on a dimension.
func outSize(in, k, stride, dil, pad, padAfter int) int {
	eff := (k-1)*dil + 1
	return (in+pad+padAfter-eff)/stride + 1
}

func checkDepthwise(t testing.TB, r *rand.Rand, p DepthwiseParams, epi int, threads int) {
	x := randVec(r, p.N*p.H*p.W*p.C)
	w := randVec(r, p.KH*p.KW*p.C)
	var scale, bias []float32
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	switch epi {
	case 1:
		bias = randVec(r, p.C)
		lo, hi = 0, 6
	case 2:
		scale, bias = randVec(r, p.C), randVec(r, p.C)
		lo = 0
	}
	want := refDepthwise(p, x, w, scale, bias, lo, hi)
	y := randVec(r, len(want)) // garbage: Depthwise overwrites it
	Depthwise(p, x, w, y, scale, bias, lo, hi, threads)
	for i := range y {
		if !same(float64(y[i]), float64(want[i]), 2e-5*float64(p.KH*p.KW)) {
			t.Fatalf("%+v epilogue %d: y[%d] = %v, want %v", p, epi, i, y[i], want[i])
		}
	}
}

func TestDepthwise(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	eachPath(t, func(t testing.TB) {
		n := 0
		for _, k := range [][2]int{{1, 1}, {3, 3}, {5, 5}, {3, 1}} {
			for _, s := range []int{1, 2, 3} {
				for _, d := range []int{1, 2} {
					for _, hw := range []int{1, 2, 7, 13, 17} {
						for _, c := range []int{1, 3, 7, 13, 16, 24, 32, 33} {
							pad := (k[0] - 1) * d / 2
							p := DepthwiseParams{N: 1 + n%3, H: hw, W: hw + n%2, C: c, KH: k[0], KW: k[1], StrideH: s, StrideW: s,
								DilH: d, DilW: d, PadTop: pad, PadLeft: (k[1] - 1) * d / 2}
							p.OH = outSize(p.H, p.KH, s, d, p.PadTop, p.PadTop)
							p.OW = outSize(p.W, p.KW, s, d, p.PadLeft, p.PadLeft)
							if p.OH <= 0 || p.OW <= 0 {
								continue
							}
							checkDepthwise(t, r, p, n%3, 1+n%2)
							n++
						}
					}
				}
			}
		}
		// VALID padding, a large image and many channels, threaded.
		p := DepthwiseParams{N: 2, H: 112, W: 112, C: 40, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 55, OW: 55}
		checkDepthwise(t, r, p, 2, 2)
		p = DepthwiseParams{N: 1, H: 7, W: 7, C: 1000, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, PadTop: 1, PadLeft: 1, OH: 7, OW: 7}
		checkDepthwise(t, r, p, 1, 2)
	})
}

func TestDepthwiseRejectsBadBuffers(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short input buffer")
		}
	}()
	p := DepthwiseParams{N: 1, H: 3, W: 3, C: 2, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 3, OW: 3}
	Depthwise(p, make([]float32, 5), make([]float32, 2), make([]float32, 18), nil, nil, 0, 1, 1)
}

// FuzzDepthwise compares every path with the float64 reference on small
// random geometries.
func FuzzDepthwise(f *testing.F) {
	f.Add(uint8(5), uint8(6), uint8(3), uint8(3), uint8(3), uint8(1), uint8(1), uint8(1), uint8(0))
	f.Add(uint8(9), uint8(4), uint8(17), uint8(5), uint8(2), uint8(2), uint8(2), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, h, w, c, kh, kw, s, d, pad, epi uint8) {
		p := DepthwiseParams{N: 1, H: int(h%20) + 1, W: int(w%20) + 1, C: int(c%40) + 1, KH: int(kh%5) + 1, KW: int(kw%5) + 1,
			StrideH: int(s%3) + 1, StrideW: int(s%3) + 1, DilH: int(d%2) + 1, DilW: int(d%2) + 1, PadTop: int(pad % 3), PadLeft: int(pad % 3)}
		p.OH = outSize(p.H, p.KH, p.StrideH, p.DilH, p.PadTop, p.PadTop)
		p.OW = outSize(p.W, p.KW, p.StrideW, p.DilW, p.PadLeft, p.PadLeft)
		if p.OH <= 0 || p.OW <= 0 {
			return
		}
		r := rand.New(rand.NewPCG(uint64(h), uint64(c)))
		for _, name := range Paths() {
			restore, _ := SetPath(name)
			checkDepthwise(t, r, p, int(epi%3), 2)
			restore()
		}
	})
}

// BenchmarkDepthwise runs MobileNetV2's depthwise layers (3x3, batch 1)
// and reports GFLOP/s per path.
func BenchmarkDepthwise(b *testing.B) {
	shapes := []struct{ hw, c, s int }{
		{112, 32, 1}, {112, 96, 2}, {56, 144, 1}, {56, 144, 2}, {28, 192, 1}, {28, 192, 2},
		{14, 384, 1}, {14, 576, 1}, {14, 576, 2}, {7, 960, 1}, {56, 128, 1}, {14, 512, 1},
	}
	for _, path := range Paths() {
		for _, sh := range shapes {
			b.Run(fmt.Sprintf("path=%s/%dx%dx%d_s%d", path, sh.hw, sh.hw, sh.c, sh.s), func(b *testing.B) {
				restore, _ := SetPath(path)
				defer restore()
				r := rand.New(rand.NewPCG(1, 1))
				o := (sh.hw + sh.s - 1) / sh.s
				p := DepthwiseParams{N: 1, H: sh.hw, W: sh.hw, C: sh.c, KH: 3, KW: 3, StrideH: sh.s, StrideW: sh.s, DilH: 1, DilW: 1,
					PadTop: 1, PadLeft: 1, OH: o, OW: o}
				if sh.s == 2 {
					p.PadTop, p.PadLeft = 0, 0 // TF's SAME on even sizes pads after
				}
				x, w := randVec(r, sh.hw*sh.hw*sh.c), randVec(r, 9*sh.c)
				y := make([]float32, o*o*sh.c)
				bias := randVec(r, sh.c)
				for b.Loop() {
					Depthwise(p, x, w, y, nil, bias, 0, 6, 2)
				}
				b.ReportMetric(2*float64(len(y)*9)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestDepthwiseBackprop checks the filter and input gradients against the
// float64 definitions on every path.
func TestDepthwiseBackprop(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	eachPath(t, func(t testing.TB) {
		for i, g := range []struct{ n, h, w, c, k, s, d, pad int }{
			{1, 7, 9, 13, 3, 1, 1, 1}, {2, 8, 8, 32, 3, 1, 1, 1}, {1, 9, 9, 16, 3, 2, 1, 0}, {1, 6, 5, 7, 5, 1, 1, 2},
			{2, 11, 11, 24, 3, 1, 2, 2}, {1, 5, 5, 3, 3, 1, 1, 0}, {1, 13, 13, 40, 3, 2, 1, 1},
		} {
			p := DepthwiseParams{N: g.n, H: g.h, W: g.w, C: g.c, KH: g.k, KW: g.k, StrideH: g.s, StrideW: g.s, DilH: g.d, DilW: g.d, PadTop: g.pad, PadLeft: g.pad}
			p.OH = outSize(p.H, p.KH, g.s, g.d, g.pad, g.pad)
			p.OW = outSize(p.W, p.KW, g.s, g.d, g.pad, g.pad)
			x, w, dy := randVec(r, p.N*p.H*p.W*p.C), randVec(r, p.KH*p.KW*p.C), randVec(r, p.N*p.OH*p.OW*p.C)
			wantW := make([]float64, len(w))
			wantX := make([]float64, len(x))
			for b := 0; b < p.N; b++ {
				for oy := 0; oy < p.OH; oy++ {
					for ox := 0; ox < p.OW; ox++ {
						for ky := 0; ky < p.KH; ky++ {
							iy := oy*p.StrideH - p.PadTop + ky*p.DilH
							if iy < 0 || iy >= p.H {
								continue
							}
							for kx := 0; kx < p.KW; kx++ {
								ix := ox*p.StrideW - p.PadLeft + kx*p.DilW
								if ix < 0 || ix >= p.W {
									continue
								}
								for c := 0; c < p.C; c++ {
									g := float64(dy[((b*p.OH+oy)*p.OW+ox)*p.C+c])
									wantW[(ky*p.KW+kx)*p.C+c] += float64(x[((b*p.H+iy)*p.W+ix)*p.C+c]) * g
									wantX[((b*p.H+iy)*p.W+ix)*p.C+c] += float64(w[(ky*p.KW+kx)*p.C+c]) * g
								}
							}
						}
					}
				}
			}
			dw := randVec(r, len(w))
			DepthwiseBackpropFilter(p, x, dy, dw, 1+i%2)
			for j := range dw {
				if !same(float64(dw[j]), wantW[j], 1e-4) {
					t.Fatalf("%+v: dw[%d] = %v, want %v", p, j, dw[j], wantW[j])
				}
			}
			dx := randVec(r, len(x))
			if !DepthwiseBackpropInput(p, dy, w, dx, 2) {
				if g.s == 1 {
					t.Fatalf("%+v: stride 1 refused", p)
				}
				continue
			}
			for j := range dx {
				if !same(float64(dx[j]), wantX[j], 1e-4) {
					t.Fatalf("%+v: dx[%d] = %v, want %v", p, j, dx[j], wantX[j])
				}
			}
		}
	})
}
