package gemm

import (
	"fmt"
	"runtime"
)

// float is the element types the driver is instantiated for.
type float interface{ ~float32 | ~float64 }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major float32
// matrices, where op(A) is m x k and op(B) is k x n.
//
// Without transA, A holds op(A) as m rows of k elements, row i starting at
// a[i*lda] (lda >= k); with transA, A holds its transpose: k rows of m
// elements (lda >= m). B is likewise n-wide rows (ldb >= n) without transB
// and k-wide rows (ldb >= k) with it. C has m rows of n elements, row i at
// c[i*ldc] (ldc >= n). Elements of C outside those rows and columns are
// never read or written.
//
// When beta is 0, C need not be initialized: NaNs in it do not propagate.
// When alpha is 0, A and B are not read and may be nil.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(active.Load(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64. It always runs the pure-Go kernel.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemm(goKernel64, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dispatch thresholds, in multiply-adds (m*n*k).
var (
	// smallWork is the largest product computed by the direct loops,
	// without packing.
	smallWork = 16 * 16 * 16
	// parallelWork is the smallest product split between goroutines.
	// Starting a second thread costs a few microseconds when it is
	// awake, and tens of microseconds when its CPU was idle in a VM: on
	// the Zen 5 VM of bench/RESULTS.md, two threads lost below 256^3 and
	// won from about 300^3 (20% at 28M multiply-adds, 40% at 57M); they
	// are about even at 256^3.
	parallelWork = 256 * 256 * 256
	// maxThreads caps the goroutines of one call; 0 means GOMAXPROCS.
	maxThreads = 0
)

func gemm[T float](kern *microKernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmCap(kern, 0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmCap is gemm on at most limit goroutines (0: no limit).
func gemmCap[T float](kern *microKernel[T], limit int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	checkArgs(transA, transB, m, n, k, alpha == 0, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	work := m * n * k
	threads := runtime.GOMAXPROCS(0)
	if maxThreads > 0 {
		threads = min(threads, maxThreads)
	}
	if limit > 0 {
		threads = min(threads, limit)
	}
	if work <= smallWork || m == 1 || n == 1 {
		scaleC(m, n, beta, c, ldc)
		direct(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	if work < parallelWork {
		threads = 1
	}
	threads = min(threads, max(1, work/max(1, parallelWork/2)))
	packed(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads)
}

// checkArgs panics when the arguments do not describe valid matrices.
// With skipAB (alpha is 0), A and B are not read and not checked.
func checkArgs(transA, transB bool, m, n, k int, skipAB bool, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if !skipAB {
		checkMatrix("A", ar, ac, la, lda)
		checkMatrix("B", br, bc, lb, ldb)
	}
	checkMatrix("C", m, n, lc, ldc)
}

func checkMatrix(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, below its %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("gemm: %s (%dx%d, ld %d) needs %d elements, has %d", name, rows, cols, ld, need, length))
	}
}

// scaleC sets C = beta*C, writing zeros when beta is 0.
func scaleC[T float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// direct computes C += alpha*op(A)*op(B) with plain loops, for products
// too small or too thin for packing to pay off, using the kernel's vector
// routines where the operands are contiguous.
func direct[T float](kern *microKernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if transB {
		// C[i][j] += alpha * dot(op(A) row i, B row j).
		for i := 0; i < m; i++ {
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				brow := b[j*ldb : j*ldb+k]
				var s T
				switch {
				case transA:
					for p, bv := range brow {
						s += a[p*lda+i] * bv
					}
				case kern.dot != nil:
					arow := a[i*lda : i*lda+k]
					s = kern.dot(k, &arow[0], &brow[0])
				default:
					arow := a[i*lda : i*lda+k]
					for p, bv := range brow {
						s += arow[p] * bv
					}
				}
				crow[j] += alpha * s
			}
		}
		return
	}
	if n == 1 {
		// A matrix-vector product: dot products with the column of B.
		for i := 0; i < m; i++ {
			var s T
			switch {
			case transA:
				for p := 0; p < k; p++ {
					s += a[p*lda+i] * b[p*ldb]
				}
			case ldb == 1 && kern.dot != nil:
				arow := a[i*lda : i*lda+k]
				s = kern.dot(k, &arow[0], &b[:k][0])
			default:
				arow := a[i*lda : i*lda+k]
				for p, av := range arow {
					s += av * b[p*ldb]
				}
			}
			c[i*ldc] += alpha * s
		}
		return
	}
	// C row i += sum over p of alpha*op(A)[i][p] * B row p.
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			brow := b[p*ldb : p*ldb+n]
			if kern.axpy != nil {
				kern.axpy(n, av, &brow[0], &crow[0])
				continue
			}
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}

// PackedB is a float32 right-hand matrix packed once for the kernel of
// the active path, for products that use the same B many times (the
// weights of a layer): SgemmB then skips packing it at every call. It
// keeps a reference to the original matrix, which must not change.
type PackedB struct {
	kern   *microKernel[float32]
	transB bool
	k, n   int
	b      []float32
	ldb    int
	data   []float32 // nil when products with this B never pack it
}

// PackB packs op(B) (k x n; B is n x k when transB) for SgemmB.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	checkArgs(false, transB, 1, n, k, false, k, k, len(b), ldb, n, n)
	kern := active.Load()
	pb := &PackedB{kern: kern, transB: transB, k: k, n: n, b: b, ldb: ldb}
	if k == 0 || n <= 1 {
		return pb
	}
	kc, kBlocks, nc, nBlocks := blocking(kern, k, n)
	pb.data = make([]float32, nBlocks*nc*k)
	for jb := range nBlocks {
		j0 := jb * nc
		cols := min(nc, n-j0)
		for kb := range kBlocks {
			k0 := kb * kc
			packB(kern, transB, b, ldb, k0, j0, min(kc, k-k0), cols, pb.data[jb*nc*k+k0*nc:])
		}
	}
	return pb
}

// Current reports whether pb was packed for the active path (after
// SetPath it must be packed again to be used packed).
func (pb *PackedB) Current() bool { return pb.kern == active.Load() }

// Bytes returns the memory held by the packed copy.
func (pb *PackedB) Bytes() int { return 4 * len(pb.data) }

// SgemmB is Sgemm with B given packed: C = alpha*op(A)*op(B) + beta*C,
// op(A) being m x k. Products that would not pack B (small ones, m == 1),
// and a PackedB of another path, use the original B.
func SgemmB(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	SgemmBThreads(0, transA, m, alpha, a, lda, pb, beta, c, ldc)
}

// SgemmBThreads is SgemmB on at most threads goroutines (0: as many as
// it sees fit), for callers that run several products in parallel
// themselves.
func SgemmBThreads(threads int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	kern := active.Load()
	n, k := pb.n, pb.k
	checkArgs(transA, pb.transB, m, n, k, alpha == 0, len(a), lda, len(pb.b), pb.ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	work := m * n * k
	if pb.data == nil || pb.kern != kern || k == 0 || alpha == 0 || work <= smallWork || m == 1 {
		gemmCap(kern, threads, transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc)
		return
	}
	limit := threads
	threads = runtime.GOMAXPROCS(0)
	if maxThreads > 0 {
		threads = min(threads, maxThreads)
	}
	if limit > 0 {
		threads = min(threads, limit)
	}
	if work < parallelWork {
		threads = 1
	}
	threads = min(threads, max(1, work/max(1, parallelWork/2)))
	packedPre(kern, transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc, threads, pb.data)
}
