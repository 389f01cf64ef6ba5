package nn

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/gemm"
	"github.com/tfhub-go/tfhub/tensor"
)

// Element-type sets the kernels are generic over. They list exact types so
// that they satisfy tensor.Element.
type (
	floatT interface{ float32 | float64 }
	intT   interface {
		int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64
	}
	realT interface{ floatT | intT }
	cplxT interface{ complex64 | complex128 }
	numT  interface{ realT | cplxT }
)

// reg registers op with kernel fn, guarded against panics, and the names of
// its output args when it has several.
func reg(op string, fn kernels.Func, outputs ...string) {
	kernels.Register(kernels.Def{Op: op, Fn: guard(op, fn), Outputs: outputs})
}

// guard turns a panic in a kernel (a bug: inputs are validated first) into
// an error, so that a hostile model cannot crash the process.
func guard(op string, fn kernels.Func) kernels.Func {
	return func(c *kernels.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: nn: internal error in %s: %v", kernels.ErrInvalidArgument, op, r)
			}
		}()
		return fn(c)
	}
}

// need checks that the node has at least n inputs, none of them nil.
func need(c *kernels.Context, n int) error {
	if c.NumInputs() < n {
		return c.Errorf("expected %d inputs, got %d", n, c.NumInputs())
	}
	for i := 0; i < n; i++ {
		if c.Input(i) == nil {
			return c.Errorf("input %d is missing", i)
		}
	}
	return nil
}

// ctxErr returns the cancellation error of the call, if any.
func ctxErr(c *kernels.Context) error {
	if ctx := c.Ctx(); ctx != nil {
		return ctx.Err()
	}
	return nil
}

func ctxOf(c *kernels.Context) context.Context {
	if ctx := c.Ctx(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// shapeStr formats dims the way TensorFlow's messages do: "[2,3]".
func shapeStr(dims []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range dims {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

func isHalf(d tensor.DType) bool { return d == tensor.Float16 || d == tensor.BFloat16 }

// isFloat reports the float types TF's nn kernels register on CPU.
func isFloat(d tensor.DType) bool {
	return d == tensor.Float32 || d == tensor.Float64 || isHalf(d)
}

// checkFloat returns an error unless every tensor is a float type and all
// share one dtype.
func checkFloat(c *kernels.Context, op string, ts ...*tensor.Tensor) error {
	d := ts[0].DType()
	if !isFloat(d) {
		return c.Errorf("%s does not support %v (expected float16, bfloat16, float32 or float64)", op, d)
	}
	for i, t := range ts[1:] {
		if t.DType() != d {
			return c.Errorf("%s: input %d is %v, input 0 is %v", op, i+1, t.DType(), d)
		}
	}
	return nil
}

// widen returns the tensors with float16/bfloat16 converted to float32.
func widen(ts ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	out := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		if t == nil || !isHalf(t.DType()) {
			out[i] = t
			continue
		}
		f, err := t.Cast(tensor.Float32)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// narrow converts a float32 result back to the half type dt; other
// results are returned as they are.
func narrow(t *tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	if t == nil || !isHalf(dt) || t.DType() == dt {
		return t, nil
	}
	return t.Cast(dt)
}

// setOut sets output i to t converted to dt (for half types).
func setOut(c *kernels.Context, i int, t *tensor.Tensor, dt tensor.DType) error {
	t, err := narrow(t, dt)
	if err != nil {
		return c.Errorf("%v", err)
	}
	c.SetOutput(i, t)
	return nil
}

// alloc checks the limits and returns a zero slice of n elements for a
// tensor of the given shape.
func alloc[T tensor.Element](c *kernels.Context, shape []int) ([]T, error) {
	if err := c.CheckElements(tensor.DTypeOf[T](), shape); err != nil {
		return nil, err
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, c.Errorf("%v", err)
	}
	return kernels.Make[T](c.Ctx(), n), nil
}

// product returns the product of dims.
func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// gemmT runs gemm.Sgemm or gemm.Dgemm on float32 or float64 slices.
func gemmT[T floatT](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, cc []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		gemm.Sgemm(transA, transB, m, n, k, float32(alpha), av, lda, any(b).([]float32), ldb, float32(beta), any(cc).([]float32), ldc)
	case []float64:
		gemm.Dgemm(transA, transB, m, n, k, float64(alpha), av, lda, any(b).([]float64), ldb, float64(beta), any(cc).([]float64), ldc)
	}
}

// attrInts reads a list(int) attr as ints.
func attrInts(c *kernels.Context, name string, def []int64) ([]int, error) {
	v, err := c.AttrInts(name, def)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for i, x := range v {
		if x > 1<<40 || x < -(1<<40) {
			return nil, c.Errorf("attr %s: value %d out of range", name, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// gemmAny computes C = op(A)*op(B), or C += op(A)*op(B) with acc, for any
// real type: float32 and float64 through the gemm package, integers
// through plain loops (with wrap-around, as TF's integer kernels).
func gemmAny[T realT](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, acc bool, cc []T, ldc int) {
	var beta T
	if acc {
		beta = 1
	}
	switch av := any(a).(type) {
	case []float32:
		gemm.Sgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(cc).([]float32), ldc)
		return
	case []float64:
		gemm.Dgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(cc).([]float64), ldc)
		return
	}
	for i := 0; i < m; i++ {
		crow := cc[i*ldc : i*ldc+n]
		if !acc {
			clear(crow)
		}
		for p := 0; p < k; p++ {
			var x T
			if transA {
				x = a[p*lda+i]
			} else {
				x = a[i*lda+p]
			}
			if transB {
				for j := range crow {
					crow[j] += x * b[j*ldb+p]
				}
			} else {
				brow := b[p*ldb : p*ldb+n]
				for j, bv := range brow {
					crow[j] += x * bv
				}
			}
		}
	}
}
