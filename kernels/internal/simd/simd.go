package simd

import (
	"fmt"
	"unsafe"
)

// Binary operations: dst[i] = a[i] op b[i]. dst may be a or b, or must
// not overlap them; the three must have the same length.
func Add(dst, a, b []float32) { binary(0, dst, a, b) }

// Sub sets dst[i] = a[i] - b[i].
func Sub(dst, a, b []float32) { binary(1, dst, a, b) }

// Mul sets dst[i] = a[i] * b[i].
func Mul(dst, a, b []float32) { binary(2, dst, a, b) }

// Div sets dst[i] = a[i] / b[i].
func Div(dst, a, b []float32) { binary(3, dst, a, b) }

// Max sets dst[i] = b[i] if a[i] < b[i], else a[i]: a NaN in either keeps
// a[i] (the running maximum of max pooling keeps its value).
func Max(dst, a, b []float32) { binary(4, dst, a, b) }

func binary(op int, dst, a, b []float32) {
	n := len(dst)
	if len(a) != n || len(b) != n {
		panic(fmt.Sprintf("simd: lengths %d, %d, %d differ", n, len(a), len(b)))
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.binary[op](&dst[0], &a[0], &b[0], n)
	if r := k.done(n); r < n {
		goImpl.binary[op](&dst[r], &a[r], &b[r], n-r)
	}
}

// done returns how many of n elements a routine of k has processed.
func (k *impl) done(n int) int {
	if k.masked {
		return n
	}
	return n &^ (k.lanes - 1)
}

// AddScalar sets dst[i] = a[i] + s (dst may be a, or must not overlap it).
func AddScalar(dst, a []float32, s float32) { scalar(0, dst, a, s) }

// SubScalar sets dst[i] = a[i] - s.
func SubScalar(dst, a []float32, s float32) { scalar(1, dst, a, s) }

// MulScalar sets dst[i] = a[i] * s.
func MulScalar(dst, a []float32, s float32) { scalar(2, dst, a, s) }

// DivScalar sets dst[i] = a[i] / s (a true division, not a product with
// 1/s, so that results match the scalar operation bit for bit).
func DivScalar(dst, a []float32, s float32) { scalar(3, dst, a, s) }

// ScalarSub sets dst[i] = s - a[i].
func ScalarSub(dst, a []float32, s float32) { scalar(4, dst, a, s) }

// ScalarDiv sets dst[i] = s / a[i].
func ScalarDiv(dst, a []float32, s float32) { scalar(5, dst, a, s) }

func scalar(op int, dst, a []float32, s float32) {
	n := len(dst)
	if len(a) != n {
		panic(fmt.Sprintf("simd: lengths %d, %d differ", n, len(a)))
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.scalar[op](&dst[0], &a[0], n, s)
	if r := k.done(n); r < n {
		goImpl.scalar[op](&dst[r], &a[r], n-r, s)
	}
}

// Clamp sets dst[i] = min(max(src[i], lo), hi); a NaN stays NaN. Relu is
// Clamp(dst, src, 0, +Inf) and Relu6 Clamp(dst, src, 0, 6).
func Clamp(dst, src []float32, lo, hi float32) {
	n := len(dst)
	if len(src) != n {
		panic(fmt.Sprintf("simd: lengths %d, %d differ", n, len(src)))
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.clamp(&dst[0], &src[0], n, lo, hi)
	if r := k.done(n); r < n {
		goImpl.clamp(&dst[r], &src[r], n-r, lo, hi)
	}
}

// Int32ToFloat32 sets dst[i] = float32(src[i]) (rounded to nearest even,
// as Go's conversion does).
func Int32ToFloat32(dst []float32, src []int32) {
	n := len(dst)
	if len(src) != n {
		panic(fmt.Sprintf("simd: lengths %d, %d differ", n, len(src)))
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.cvtInt32(&dst[0], (*float32)(unsafe.Pointer(&src[0])), n)
	if r := k.done(n); r < n {
		goImpl.cvtInt32(&dst[r], (*float32)(unsafe.Pointer(&src[r])), n-r)
	}
}

// BiasClamp sets, for each row of ch values of y,
// y[c] = clamp(y[c]*scale[c] + bias[c], lo, hi): the epilogue of a fused
// convolution or matrix product (bias or folded batch norm, then Relu,
// Relu6 or nothing with lo, hi = -Inf, +Inf). scale nil means 1 (and the
// product is skipped); bias nil means 0. The assembly computes
// y*scale + bias with one fused multiply-add. NaN stays NaN.
func BiasClamp(y []float32, ch int, scale, bias []float32, lo, hi float32) {
	if ch <= 0 || len(y) == 0 {
		return
	}
	if len(y)%ch != 0 || (scale != nil && len(scale) != ch) || (bias != nil && len(bias) != ch) {
		panic(fmt.Sprintf("simd: BiasClamp: %d values, %d channels, %d scales, %d biases", len(y), ch, len(scale), len(bias)))
	}
	if bias == nil {
		bias = make([]float32, ch)
	}
	rows := len(y) / ch
	v := 0
	var sp *float32
	if scale != nil {
		v, sp = 1, &scale[0]
	}
	k := active.Load()
	k.biasClamp[v](&y[0], rows, ch, sp, &bias[0], lo, hi)
	if r := k.done(ch); r < ch {
		// The last ch%lanes channels of every row.
		for i := 0; i < rows; i++ {
			var s *float32
			if scale != nil {
				s = &scale[r]
			}
			goImpl.biasClamp[v](&y[i*ch+r], 1, ch-r, s, &bias[r], lo, hi)
		}
	}
}

// Adam computes one Adam step (TF's ApplyAdam without Nesterov) from w,
// m, v and the gradient g into wOut, mOut, vOut (which may be the inputs):
//
//	m' = m + (g-m)*c1
//	v' = v + (g*g-v)*c2
//	w' = w - (m'*alpha)/(sqrt(v')+eps)
//
// with c1 = 1-beta1, c2 = 1-beta2 and alpha = lr*sqrt(1-beta2^t)/(1-beta1^t),
// each operation rounded to float32 as in scalar Go code.
func Adam(wOut, mOut, vOut, w, m, v, g []float32, c1, c2, alpha, eps float32) {
	n := len(g)
	for _, s := range [][]float32{wOut, mOut, vOut, w, m, v} {
		if len(s) != n {
			panic(fmt.Sprintf("simd: Adam: lengths differ (%d and %d)", len(s), n))
		}
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.adam(&wOut[0], &mOut[0], &vOut[0], &w[0], &m[0], &v[0], &g[0], n, c1, c2, alpha, eps)
	if r := k.done(n); r < n {
		goImpl.adam(&wOut[r], &mOut[r], &vOut[r], &w[r], &m[r], &v[r], &g[r], n-r, c1, c2, alpha, eps)
	}
}

// Exp sets dst[i] = exp(src[i]). The assembly paths use a polynomial
// (relative error below 2e-7 against float64 math, NaN kept, +Inf from
// about 88.37 up, 0 below about -87.3 where the exact result would be a
// subnormal); the pure-Go path rounds math.Exp.
func Exp(dst, src []float32) { unary(0, dst, src) }

// Sigmoid sets dst[i] = 1/(1+exp(-src[i])), with Exp's accuracy.
func Sigmoid(dst, src []float32) { unary(1, dst, src) }

// Tanh sets dst[i] = tanh(src[i]): an odd polynomial below 0.25 in
// magnitude, (1-t)/(1+t) with t = exp(-2|x|) above (relative error below
// 4e-7 against float64 math).
func Tanh(dst, src []float32) { unary(2, dst, src) }

func unary(op int, dst, src []float32) {
	n := len(dst)
	if len(src) != n {
		panic(fmt.Sprintf("simd: lengths %d, %d differ", n, len(src)))
	}
	if n == 0 {
		return
	}
	k := active.Load()
	k.unary[op](&dst[0], &src[0], n)
	if r := k.done(n); r < n {
		goImpl.unary[op](&dst[r], &src[r], n-r)
	}
}
