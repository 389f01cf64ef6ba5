package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// eachPath runs f once per path this machine supports.
func eachPath(t testing.TB, f func(t testing.TB)) {
	for _, name := range Paths() {
		restore, err := SetPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if tt, ok := t.(*testing.T); ok {
			tt.Run(name, func(t *testing.T) { f(t) })
		} else {
			f(t)
		}
		restore()
	}
}

var sizes = []int{0, 1, 7, 8, 13, 15, 16, 17, 31, 33, 64, 100, 1000, 1027}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*8 - 4
	}
	return v
}

// same reports whether got matches want within a relative tolerance,
// NaN matching NaN.
func same(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestPathsAndEnv(t *testing.T) {
	p := Paths()
	if p[len(p)-1] != "purego" {
		t.Fatalf("paths %v do not end with purego", p)
	}
	if _, err := SetPath("sse9"); err == nil {
		t.Fatal("SetPath accepted an unknown path")
	}
	if k, err := pathFromEnv("nonsense"); err == nil || k != available[0] {
		t.Fatalf("pathFromEnv(nonsense) = %v, %v", k, err)
	}
}

func TestBinaryAndScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	type bin struct {
		name string
		f    func(dst, a, b []float32)
		ref  func(a, b float32) float32
	}
	bins := []bin{
		{"Add", Add, func(a, b float32) float32 { return a + b }},
		{"Sub", Sub, func(a, b float32) float32 { return a - b }},
		{"Mul", Mul, func(a, b float32) float32 { return a * b }},
		{"Div", Div, func(a, b float32) float32 { return a / b }},
		{"Max", Max, func(a, b float32) float32 {
			if a < b {
				return b
			}
			return a
		}},
	}
	type sc struct {
		name string
		f    func(dst, a []float32, s float32)
		ref  func(a, s float32) float32
	}
	scs := []sc{
		{"AddScalar", AddScalar, func(a, s float32) float32 { return a + s }},
		{"SubScalar", SubScalar, func(a, s float32) float32 { return a - s }},
		{"MulScalar", MulScalar, func(a, s float32) float32 { return a * s }},
		{"DivScalar", DivScalar, func(a, s float32) float32 { return a / s }},
		{"ScalarSub", ScalarSub, func(a, s float32) float32 { return s - a }},
		{"ScalarDiv", ScalarDiv, func(a, s float32) float32 { return s / a }},
	}
	eachPath(t, func(t testing.TB) {
		for _, n := range sizes {
			for _, off := range []int{0, 1, 3} {
				a, b := randVec(r, n+off)[off:], randVec(r, n+off)[off:]
				for _, o := range bins {
					dst := randVec(r, n)
					o.f(dst, a, b)
					for i := range dst {
						// Elementwise IEEE operations are exact: no tolerance.
						if w := o.ref(a[i], b[i]); dst[i] != w {
							t.Fatalf("%s n=%d off=%d: [%d] = %v, want %v", o.name, n, off, i, dst[i], w)
						}
					}
					// In place (dst = a).
					c := append([]float32(nil), a...)
					o.f(c, c, b)
					for i := range c {
						if w := o.ref(a[i], b[i]); c[i] != w {
							t.Fatalf("%s in place n=%d: [%d] = %v, want %v", o.name, n, i, c[i], w)
						}
					}
				}
				for _, o := range scs {
					dst := make([]float32, n)
					o.f(dst, a, 2.5)
					for i := range dst {
						if w := o.ref(a[i], 2.5); dst[i] != w {
							t.Fatalf("%s n=%d off=%d: [%d] = %v, want %v", o.name, n, off, i, dst[i], w)
						}
					}
				}
			}
		}
	})
}

func TestClampAndConvert(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	eachPath(t, func(t testing.TB) {
		for _, n := range sizes {
			src := randVec(r, n)
			if n > 5 {
				src[1], src[3], src[5] = nan, inf, -inf
			}
			for _, lim := range [][2]float32{{0, inf}, {0, 6}, {-1, 1}, {-inf, inf}} {
				dst := make([]float32, n)
				Clamp(dst, src, lim[0], lim[1])
				for i, v := range src {
					if w := clamp1(v, lim[0], lim[1]); !same(float64(dst[i]), float64(w), 0) {
						t.Fatalf("Clamp%v n=%d: [%d] %v -> %v, want %v", lim, n, i, v, dst[i], w)
					}
				}
			}
			ints := make([]int32, n)
			for i := range ints {
				ints[i] = r.Int32() - 1<<30
			}
			if n > 2 {
				ints[0], ints[1] = math.MaxInt32, math.MinInt32
			}
			f := make([]float32, n)
			Int32ToFloat32(f, ints)
			for i, v := range ints {
				if f[i] != float32(v) {
					t.Fatalf("Int32ToFloat32 n=%d: [%d] %d -> %v, want %v", n, i, v, f[i], float32(v))
				}
			}
		}
	})
}

func TestBiasClamp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	inf := float32(math.Inf(1))
	eachPath(t, func(t testing.TB) {
		for _, ch := range []int{1, 3, 7, 8, 13, 16, 17, 24, 32, 33, 1000} {
			for _, rows := range []int{1, 2, 7} {
				for _, scaled := range []bool{false, true} {
					for _, lim := range [][2]float32{{-inf, inf}, {0, inf}, {0, 6}} {
						y := randVec(r, rows*ch)
						want := append([]float32(nil), y...)
						bias := randVec(r, ch)
						var scale []float32
						if scaled {
							scale = randVec(r, ch)
						}
						for i := range want {
							c := i % ch
							v := float64(want[i])
							if scaled {
								v *= float64(scale[c])
							}
							want[i] = clamp1(float32(v+float64(bias[c])), lim[0], lim[1])
						}
						BiasClamp(y, ch, scale, bias, lim[0], lim[1])
						for i := range y {
							if !same(float64(y[i]), float64(want[i]), 1e-6) {
								t.Fatalf("ch=%d rows=%d scaled=%v lim=%v: [%d] = %v, want %v", ch, rows, scaled, lim, i, y[i], want[i])
							}
						}
					}
				}
			}
		}
		// nil bias means 0.
		y := []float32{-1, 2, 7}
		BiasClamp(y, 3, nil, nil, 0, 6)
		if y[0] != 0 || y[1] != 2 || y[2] != 6 {
			t.Fatalf("BiasClamp without bias: %v", y)
		}
	})
}

// FuzzBiasClamp compares every path with the pure-Go one.
func FuzzBiasClamp(f *testing.F) {
	f.Add(uint8(3), uint8(5), true, float32(0), float32(6), int64(1))
	f.Add(uint8(17), uint8(1), false, float32(-1), float32(1), int64(2))
	f.Fuzz(func(t *testing.T, ch, rows uint8, scaled bool, lo, hi float32, seed int64) {
		if ch == 0 {
			return
		}
		r := rand.New(rand.NewPCG(uint64(seed), 0))
		y := randVec(r, int(ch)*int(rows))
		bias := randVec(r, int(ch))
		var scale []float32
		if scaled {
			scale = randVec(r, int(ch))
		}
		want := append([]float32(nil), y...)
		restore, _ := SetPath("purego")
		BiasClamp(want, int(ch), scale, bias, lo, hi)
		restore()
		for _, name := range Paths() {
			restore, _ := SetPath(name)
			got := append([]float32(nil), y...)
			BiasClamp(got, int(ch), scale, bias, lo, hi)
			restore()
			for i := range got {
				if !same(float64(got[i]), float64(want[i]), 1e-6) {
					t.Fatalf("%s: [%d] = %v, purego %v", name, i, got[i], want[i])
				}
			}
		}
	})
}

func TestAdam(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	eachPath(t, func(t testing.TB) {
		for _, n := range sizes {
			w, m, g := randVec(r, n), randVec(r, n), randVec(r, n)
			v := randVec(r, n)
			for i := range v {
				v[i] *= v[i]
			}
			c1, c2, alpha, eps := float32(0.1), float32(0.001), float32(0.00031), float32(1e-7)
			wo, mo, vo := make([]float32, n), make([]float32, n), make([]float32, n)
			Adam(wo, mo, vo, w, m, v, g, c1, c2, alpha, eps)
			for i := range w {
				mi := m[i] + (g[i]-m[i])*c1
				vi := v[i] + (g[i]*g[i]-v[i])*c2
				wi := w[i] - (mi*alpha)/(float32(math.Sqrt(float64(vi)))+eps)
				if wo[i] != wi || mo[i] != mi || vo[i] != vi {
					t.Fatalf("n=%d [%d]: got w=%v m=%v v=%v, want %v %v %v", n, i, wo[i], mo[i], vo[i], wi, mi, vi)
				}
			}
			// In place.
			Adam(w, m, v, w, m, v, g, c1, c2, alpha, eps)
			for i := range w {
				if w[i] != wo[i] || m[i] != mo[i] || v[i] != vo[i] {
					t.Fatalf("in place n=%d [%d] differs", n, i)
				}
			}
		}
	})
}

// TestTranscendental checks Exp, Sigmoid and Tanh against float64 math on
// a dense sweep, at the edges and on special values, on every path.
func TestTranscendental(t *testing.T) {
	var xs []float32
	for v := -100.0; v <= 100; v += 0.0137 {
		xs = append(xs, float32(v))
	}
	for v := -1.0; v <= 1; v += 0.000731 {
		xs = append(xs, float32(v))
	}
	inf := float32(math.Inf(1))
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 88, 88.3, -87, -87.3, -88, -89, 89, 0.25, -0.25, 0.2499, inf, -inf, float32(math.NaN()))
	fns := []struct {
		name string
		f    func(dst, src []float32)
		ref  func(float64) float64
		tol  float64
	}{
		{"Exp", Exp, math.Exp, 2e-7},
		{"Sigmoid", Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, 3e-7},
		{"Tanh", Tanh, math.Tanh, 4e-7},
	}
	eachPath(t, func(t testing.TB) {
		for _, fn := range fns {
			dst := make([]float32, len(xs))
			fn.f(dst, xs)
			for i, x := range xs {
				want := fn.ref(float64(x))
				got := float64(dst[i])
				if math.IsNaN(want) != math.IsNaN(got) {
					t.Fatalf("%s(%v) = %v, want %v", fn.name, x, got, want)
				}
				if math.IsNaN(want) {
					continue
				}
				if fn.name == "Exp" && (want > 2.3e38 || want < 1.2e-38) {
					// Documented edges: overflow from about 88.37, flush to
					// zero below 2^-126.
					if want > 2.3e38 && !(got > 2.3e38) || want < 1.2e-38 && got > 1.2e-38 {
						t.Fatalf("Exp(%v) = %v, want about %v", x, got, want)
					}
					continue
				}
				if d := math.Abs(got - want); d > fn.tol*math.Abs(want) && d > 1e-38 {
					t.Fatalf("%s(%v) = %v, want %v (relative error %.3g)", fn.name, x, got, want, d/math.Abs(want))
				}
			}
		}
	})
}
