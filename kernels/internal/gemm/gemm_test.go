package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refGemm is the textbook triple loop, accumulated in float64.
func refGemm[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			cv := float64(alpha) * s
			if beta != 0 {
				cv += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = T(cv)
		}
	}
}

const guard = 5 // NaN elements on each side of every matrix

// guarded returns a slice of n random elements with NaN guard regions, and
// the view holding the n elements.
func guarded[T float](r *rand.Rand, n int) (full, view []T) {
	full = make([]T, n+2*guard)
	for i := range full {
		full[i] = T(math.NaN())
	}
	view = full[guard : guard+n]
	for i := range view {
		view[i] = T(r.Float64()*2 - 1)
	}
	return full, view
}

// checkGuards fails when anything outside the m x n region of a matrix
// with leading dimension ld changed (the padding columns and the guard
// regions hold NaN or their original values).
func checkGuards[T float](t *testing.T, full, orig []T, m, n, ld int) {
	t.Helper()
	for idx := range full {
		inside := false
		if v := idx - guard; v >= 0 && v < len(full)-2*guard {
			i, j := v/ld, v%ld
			inside = i < m && j < n
		}
		if inside {
			continue
		}
		a, b := full[idx], orig[idx]
		if a != b && !(a != a && b != b) {
			t.Fatalf("element %d outside C changed: %v -> %v", idx-guard, b, a)
		}
	}
}

func nanPad[T float](x []T, rows, cols, ld int) {
	for i := 0; i < rows; i++ {
		for j := cols; j < ld; j++ {
			x[i*ld+j] = T(math.NaN())
		}
	}
}

type gemmFunc[T float] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

func testGemm[T float](t *testing.T, f gemmFunc[T], tol float64) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 7, 13, 100, 257}
	type scal struct{ alpha, beta T }
	scals := []scal{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {2, 0}}
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range sizes {
				if m*n*k > 257*257*13 {
					continue // keep the suite fast; 257^3 runs below once per transpose
				}
				for tc := 0; tc < 4; tc++ {
					transA, transB := tc&1 != 0, tc&2 != 0
					s := scals[(m+n+k+tc)%len(scals)]
					runCase(t, r, f, transA, transB, m, n, k, s.alpha, s.beta, (m+n+tc)%3, tol)
				}
			}
		}
	}
	for tc := 0; tc < 4; tc++ {
		runCase(t, r, f, tc&1 != 0, tc&2 != 0, 257, 257, 257, 1.5, -1, 3, tol)
	}
	// Sizes past one block of every kernel in each dimension.
	big := [][3]int{{1000, 13, 100}, {7, 1000, 257}, {13, 100, 1000}, {350, 70, 300}}
	for i, s := range big {
		for tc := 0; tc < 4; tc++ {
			sc := scals[(i+tc)%len(scals)]
			runCase(t, r, f, tc&1 != 0, tc&2 != 0, s[0], s[1], s[2], sc.alpha+1, sc.beta, 1+tc, tol)
		}
	}
}

// runCase compares f against refGemm with leading dimensions extra
// elements wider than needed.
func runCase[T float](t *testing.T, r *rand.Rand, f gemmFunc[T], transA, transB bool, m, n, k int, alpha, beta T, extra int, tol float64) {
	t.Helper()
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+extra, bc+2*extra, n+extra
	_, a := guarded[T](r, ar*lda)
	_, b := guarded[T](r, br*ldb)
	// The padding columns of A and B hold NaN too: reading one would
	// poison C.
	nanPad(a, ar, ac, lda)
	nanPad(b, br, bc, ldb)
	cFull, c := guarded[T](r, m*ldc)
	// Padding columns of C hold NaN: they must not be read or written.
	for i := 0; i < m; i++ {
		for j := n; j < ldc; j++ {
			c[i*ldc+j] = T(math.NaN())
		}
	}
	if beta == 0 {
		for i := 0; i < m; i++ {
			c[i*ldc] = T(math.NaN()) // beta 0 must ignore C
		}
	}
	orig := append([]T(nil), cFull...)
	want := append([]T(nil), c...)
	refGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	f(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	checkGuards(t, cFull, orig, m, n, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g, w := float64(c[i*ldc+j]), float64(want[i*ldc+j])
			if math.IsNaN(g) || math.Abs(g-w) > tol*(1+math.Abs(w))*math.Sqrt(float64(k+1)) {
				t.Fatalf("transA=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v: C[%d][%d] = %v, want %v",
					transA, transB, m, n, k, alpha, beta, i, j, g, w)
			}
		}
	}
}

// withThresholds runs f with the dispatch thresholds changed, so that one
// machine exercises the direct, serial blocked and parallel paths.
func withThresholds(_ testing.TB, small, parallel, threads int, f func()) {
	s, p, mt := smallWork, parallelWork, maxThreads
	smallWork, parallelWork, maxThreads = small, parallel, threads
	defer func() { smallWork, parallelWork, maxThreads = s, p, mt }()
	f()
}

var driverConfigs = []struct {
	name                     string
	small, parallel, threads int
}{
	{"default", smallWork, parallelWork, 0},
	{"direct", math.MaxInt, math.MaxInt, 1},
	{"blocked", 0, math.MaxInt, 1},
	{"parallel", 0, 2, 2},
	{"parallel3", 0, 2, 3},
}

// forEachPath runs f once with each Sgemm path this machine supports.
func forEachPath(t testing.TB, f func(path string)) {
	for _, name := range Paths() {
		restore, err := SetPath(name)
		if err != nil {
			t.Fatal(err)
		}
		f(name)
		restore()
	}
}

func TestSgemm(t *testing.T) {
	forEachPath(t, func(path string) {
		for _, p := range driverConfigs {
			if path != Paths()[0] && p.name == "default" {
				continue // the same as the others put together
			}
			t.Run("path="+path+"/"+p.name, func(t *testing.T) {
				withThresholds(t, p.small, p.parallel, p.threads, func() {
					testGemm[float32](t, Sgemm, 2e-6)
				})
			})
		}
	})
}

// TestSgemmPrivateB runs the parallel driver with every task packing its
// own copies of B, as it does when another thread is slow to pack them.
func TestSgemmPrivateB(t *testing.T) {
	testPrivateB = true
	defer func() { testPrivateB = false }()
	withThresholds(t, 0, 2, 2, func() {
		testGemm[float32](t, Sgemm, 2e-6)
	})
}

func TestDgemm(t *testing.T) {
	for _, p := range driverConfigs {
		t.Run(p.name, func(t *testing.T) {
			withThresholds(t, p.small, p.parallel, p.threads, func() {
				testGemm[float64](t, Dgemm, 1e-13)
			})
		})
	}
}

// TestSgemmValues checks a product worked out by hand.
func TestSgemmValues(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}    // 2x3
	b := []float32{7, 8, 9, 10, 11, 12} // 3x2
	c := []float32{1, 1, 1, 1}
	Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 10, c, 2)
	want := []float32{58 + 10, 64 + 10, 139 + 10, 154 + 10}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("C = %v, want %v", c, want)
		}
	}
	// A^T * B^T with A stored 3x2 and B stored 2x3: same operands.
	at := []float32{1, 4, 2, 5, 3, 6}
	bt := []float32{7, 9, 11, 8, 10, 12}
	c = make([]float32, 4)
	Sgemm(true, true, 2, 2, 3, 1, at, 2, bt, 3, 0, c, 2)
	for i, w := range []float32{58, 64, 139, 154} {
		if c[i] != w {
			t.Fatalf("transposed C = %v, want 58 64 139 154", c)
		}
	}
}

// TestNaNPropagation checks that 0*Inf and NaN operands reach C, as the
// IEEE products of the reference loop do.
func TestNaNPropagation(t *testing.T) {
	forEachPath(t, func(path string) {
		for _, p := range driverConfigs {
			withThresholds(t, p.small, p.parallel, p.threads, func() {
				testNaN(t, path+"/"+p.name)
			})
		}
	})
}

func testNaN(t *testing.T, name string) {
	for _, size := range []int{9, 40} {
		{
			m, n, k := size, size, size
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			b[3*n+4] = float32(math.Inf(1)) // row 3 of B, column 4
			c := make([]float32, m*n)
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					if got := c[i*n+j]; (j == 4) != math.IsNaN(float64(got)) {
						t.Fatalf("%s: C[%d][%d] = %v; 0*Inf must give NaN in column 4 only", name, i, j, got)
					}
				}
			}
		}
	}
}

func TestZeroSizes(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 3, c, 2)
	for i, w := range []float32{3, 6, 9, 12} {
		if c[i] != w {
			t.Fatalf("k=0: C = %v, want beta*C", c)
		}
	}
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
	Sgemm(false, false, 5, 0, 3, 1, make([]float32, 15), 3, nil, 1, 0, nil, 1)
	c = []float32{float32(math.NaN()), 2}
	Sgemm(false, false, 1, 2, 3, 0, nil, 3, nil, 2, 0, c, 2)
	if c[0] != 0 || c[1] != 0 {
		t.Fatalf("alpha=0 beta=0: C = %v, want zeros", c)
	}
}

func TestBadArgsPanic(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }},
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small lda", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"short C", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
		{"short B^T", func() {
			Sgemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 5), 2, 0, make([]float32, 6), 3)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f()
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	forEachPath(b, func(path string) {
		for _, n := range []int{256, 512, 1024, 2048} {
			b.Run(fmt.Sprintf("path=%s/n=%d", path, n), func(b *testing.B) {
				if path == "purego" && n > 1024 && testing.Short() {
					b.Skip("slow path")
				}
				r := rand.New(rand.NewPCG(1, 1))
				x := make([]float32, n*n)
				y := make([]float32, n*n)
				z := make([]float32, n*n)
				for i := range x {
					x[i], y[i] = r.Float32(), r.Float32()
				}
				// One product outside the timing, as bench/sgemm_numpy.py
				// does: threads started, buffers allocated.
				Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
				for b.Loop() {
					Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	})
}

func BenchmarkDgemm(b *testing.B) {
	n := 256
	x := make([]float64, n*n)
	y := make([]float64, n*n)
	z := make([]float64, n*n)
	for i := range x {
		x[i], y[i] = float64(i%7), float64(i%5)
	}
	for b.Loop() {
		Dgemm(false, true, n, n, n, 1, x, n, y, n, 0, z, n)
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemmShapes measures the products that models make: the
// convolutions of MobileNet-like networks as im2col GEMMs (m = output
// pixels, n = output channels, k = kernel area * input channels) and
// dense layers (m = batch).
func BenchmarkSgemmShapes(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
		transB  bool
	}{
		{"conv3x3s2_224x224x3-32", 112 * 112, 32, 27, false},
		{"conv3x3_112x112x32-32", 112 * 112, 32, 288, false},
		{"conv1x1_112x112x32-64", 112 * 112, 64, 32, false},
		{"conv3x3_56x56x128-128", 56 * 56, 128, 1152, false},
		{"conv1x1_14x14x512-512", 14 * 14, 512, 512, false},
		{"conv1x1_7x7x320-1280", 7 * 7, 1280, 320, false},
		{"dense_b32_784-128", 32, 128, 784, false},
		{"dense_b32_1280-1000_transB", 32, 1000, 1280, true},
		{"dense_b1_1280-1000", 1, 1000, 1280, false},
	}
	forEachPath(b, func(path string) {
		for _, s := range shapes {
			b.Run("path="+path+"/"+s.name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x := make([]float32, s.m*s.k)
				y := make([]float32, s.k*s.n)
				z := make([]float32, s.m*s.n)
				for i := range x {
					x[i] = r.Float32()
				}
				for i := range y {
					y[i] = r.Float32()
				}
				ldb := s.n
				if s.transB {
					ldb = s.k
				}
				Sgemm(false, s.transB, s.m, s.n, s.k, 1, x, s.k, y, ldb, 0, z, s.n)
				for b.Loop() {
					Sgemm(false, s.transB, s.m, s.n, s.k, 1, x, s.k, y, ldb, 0, z, s.n)
				}
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	})
}

// TestSgemmConcurrent runs products of several shapes from several
// goroutines at once, as concurrent calls of one model do: the calls
// share the buffer cache and the plan pool, and each must still get its
// own exact result.
func TestSgemmConcurrent(t *testing.T) {
	shapes := [][3]int{{100, 70, 300}, {257, 13, 64}, {7, 300, 100}, {64, 64, 64}}
	type job struct {
		m, n, k int
		a, b    []float32
		want    []float32
	}
	r := rand.New(rand.NewPCG(9, 10))
	var jobs []job
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		j := job{m: m, n: n, k: k, a: make([]float32, m*k), b: make([]float32, k*n), want: make([]float32, m*n)}
		for i := range j.a {
			j.a[i] = float32(r.Float64()*2 - 1)
		}
		for i := range j.b {
			j.b[i] = float32(r.Float64()*2 - 1)
		}
		refGemm(false, false, m, n, k, 1, j.a, k, j.b, n, 0, j.want, n)
		jobs = append(jobs, j)
	}
	withThresholds(t, smallWork, 2, 2, func() {
		errs := make(chan error, 16)
		for g := range 8 {
			go func() {
				var err error
				for it := range 10 {
					j := jobs[(g+it)%len(jobs)]
					c := make([]float32, j.m*j.n)
					Sgemm(false, false, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, c, j.n)
					for i, w := range j.want {
						if d := math.Abs(float64(c[i] - w)); d > 1e-4*math.Sqrt(float64(j.k)) && err == nil {
							err = fmt.Errorf("goroutine %d, %dx%dx%d: C[%d] = %v, want %v", g, j.m, j.n, j.k, i, c[i], w)
						}
					}
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

// TestSgemmAllocs checks that a product allocates nothing once the
// packing buffers and plans exist.
func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	m, n, k := 100, 70, 300
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	forEachPath(t, func(path string) {
		for _, threads := range []int{1, 2} {
			withThresholds(t, smallWork, 2, threads, func() {
				got := testing.AllocsPerRun(20, func() {
					Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
					Sgemm(true, true, m, n, k, 2, a, m, b, k, 1, c, n)
				})
				// Starting the second thread may allocate in the runtime.
				if limit := float64(threads - 1); got > limit {
					t.Errorf("path %s, %d threads: %v allocations per call pair, want at most %v", path, threads, got, limit)
				}
			})
		}
	})
}

// TestSgemmSmallBlocks runs every kernel with tiny block sizes, so that
// moderate products go through several column blocks (double-buffered B
// shared by the threads), several depth blocks and several row blocks.
func TestSgemmSmallBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, kern := range available {
		small := *kern
		small.mc, small.kc, small.nc = 2*kern.mr, 16, 2*kern.nr
		prev := active.Swap(&small)
		for _, threads := range []int{1, 2, 3} {
			withThresholds(t, 0, 2, threads, func() {
				for tc := 0; tc < 4; tc++ {
					transA, transB := tc&1 != 0, tc&2 != 0
					runCase(t, r, Sgemm, transA, transB, 5*kern.mr+3, 7*kern.nr+5, 50, 1, 0, 1, 2e-6)
					runCase(t, r, Sgemm, transA, transB, 3, 9*kern.nr+1, 33, -0.5, 2, 2, 2e-6)
					runCase(t, r, Sgemm, transA, transB, 40, 3*kern.nr, 17, 1, 1, 0, 2e-6)
				}
			})
		}
		active.Store(prev)
	}
}

// TestSgemmB checks products with a prepacked B against Sgemm on every
// path, at odd sizes, with both transposes, alpha and beta.
func TestSgemmB(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, path := range Paths() {
		restore, err := SetPath(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, mnk := range [][3]int{{1, 7, 13}, {7, 1000, 13}, {13, 7, 1000}, {300, 257, 70}, {1000, 64, 32}, {49, 1280, 320}, {64, 2100, 1100}} {
			m, n, k := mnk[0], mnk[1], mnk[2]
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					a := randSlice32(r, m*k)
					b := randSlice32(r, k*n)
					lda, ldb := k, n
					if ta {
						lda = m
					}
					if tb {
						ldb = k
					}
					want := randSlice32(r, m*n)
					got := append([]float32(nil), want...)
					Sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 2, want, n)
					pb := PackB(tb, k, n, b, ldb)
					one := append([]float32(nil), got...)
					SgemmB(ta, m, 0.5, a, lda, pb, 2, got, n)
					SgemmBThreads(1, ta, m, 0.5, a, lda, pb, 2, one, n)
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s m=%d n=%d k=%d ta=%v tb=%v: c[%d] = %v, want %v", path, m, n, k, ta, tb, i, got[i], want[i])
						}
						if d := math.Abs(float64(one[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s one thread m=%d n=%d k=%d ta=%v tb=%v: c[%d] = %v, want %v", path, m, n, k, ta, tb, i, one[i], want[i])
						}
					}
				}
			}
		}
		restore()
	}
}

func randSlice32(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}
