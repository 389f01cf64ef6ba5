package elementwise

import (
	"context"
	"math"
	"math/cmplx"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// unOp names a unary elementwise function.
type unOp int

const (
	uAbs unOp = iota
	uNeg
	uRecip
	uSquare
	uSqrt
	uRsqrt
	uExp
	uExpm1
	uLog
	uLog1p
	uSin
	uCos
	uTan
	uAsin
	uAcos
	uAtan
	uSinh
	uCosh
	uTanh
	uAsinh
	uAcosh
	uAtanh
	uErf
	uErfc
	uCeil
	uFloor
	uRound // half to even; the identity on integers
	uRint  // half to even, floats only
	uSign
	uSigmoid
	uInvert // bitwise not
	uLogicalNot
	// Predicates: float in, bool out.
	uIsNan
	uIsInf
	uIsFinite
)

func (op unOp) isPredicate() bool { return op >= uIsNan }

var unaryDefs = []struct {
	name string
	op   unOp
}{
	{"Abs", uAbs}, {"Neg", uNeg}, {"Reciprocal", uRecip}, {"Inv", uRecip},
	{"Square", uSquare}, {"Sqrt", uSqrt}, {"Rsqrt", uRsqrt},
	{"Exp", uExp}, {"Expm1", uExpm1}, {"Log", uLog}, {"Log1p", uLog1p},
	{"Sin", uSin}, {"Cos", uCos}, {"Tan", uTan},
	{"Asin", uAsin}, {"Acos", uAcos}, {"Atan", uAtan},
	{"Sinh", uSinh}, {"Cosh", uCosh}, {"Tanh", uTanh},
	{"Asinh", uAsinh}, {"Acosh", uAcosh}, {"Atanh", uAtanh},
	{"Erf", uErf}, {"Erfc", uErfc},
	{"Ceil", uCeil}, {"Floor", uFloor}, {"Round", uRound}, {"Rint", uRint},
	{"Sign", uSign}, {"Sigmoid", uSigmoid}, {"Invert", uInvert},
	{"LogicalNot", uLogicalNot},
	{"IsNan", uIsNan}, {"IsInf", uIsInf}, {"IsFinite", uIsFinite},
}

func init() {
	for _, d := range unaryDefs {
		kernels.Register(kernels.Def{Op: d.name, Fn: unaryKernel(d.name, d.op)})
	}
}

func unaryKernel(name string, op unOp) kernels.Func {
	return func(c *kernels.Context) error {
		if c.NumInputs() != 1 {
			return c.Errorf("%s expects 1 input, got %d", name, c.NumInputs())
		}
		out, err := unaryCompute(ctxOf(c), name, op, c.Input(0))
		if err != nil {
			return err
		}
		c.SetOutput(0, out)
		return nil
	}
}

func unaryCompute(ctx context.Context, name string, op unOp, x *tensor.Tensor) (*tensor.Tensor, error) {
	switch x.DType() {
	case tensor.Float32:
		return floatUnary[float32](ctx, name, op, x)
	case tensor.Float64:
		return floatUnary[float64](ctx, name, op, x)
	case tensor.Float16, tensor.BFloat16:
		if !op.isPredicate() && floatUnaryFn[float32](op) == nil {
			return nil, errDType(name, x.DType())
		}
		return viaF32(func(ts []*tensor.Tensor) (*tensor.Tensor, error) {
			return unaryCompute(ctx, name, op, ts[0])
		}, x)
	case tensor.Int8:
		return intUnary[int8](ctx, name, op, x)
	case tensor.Int16:
		return intUnary[int16](ctx, name, op, x)
	case tensor.Int32:
		return intUnary[int32](ctx, name, op, x)
	case tensor.Int64:
		return intUnary[int64](ctx, name, op, x)
	case tensor.Uint8:
		return intUnary[uint8](ctx, name, op, x)
	case tensor.Uint16:
		return intUnary[uint16](ctx, name, op, x)
	case tensor.Uint32:
		return intUnary[uint32](ctx, name, op, x)
	case tensor.Uint64:
		return intUnary[uint64](ctx, name, op, x)
	case tensor.Complex64:
		return complexUnary[complex64](ctx, name, op, x)
	case tensor.Complex128:
		return complexUnary[complex128](ctx, name, op, x)
	case tensor.Bool:
		if op == uLogicalNot {
			return mapTensor(ctx, x.Bools(), x.Shape(), func(v bool) bool { return !v })
		}
	}
	return nil, errDType(name, x.DType())
}

// mapSlice applies f to every element, checking ctx between chunks.
func mapSlice[T, R any](ctx context.Context, in []T, f func(T) R) ([]R, error) {
	out := make([]R, len(in))
	for start := 0; start < len(in); start += ctxCheckEvery {
		end := min(start+ctxCheckEvery, len(in))
		src, dst := in[start:end], out[start:end]
		for i, v := range src {
			dst[i] = f(v)
		}
		if end < len(in) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func mapTensor[T, R tensor.Element](ctx context.Context, in []T, shape []int, f func(T) R) (*tensor.Tensor, error) {
	out, err := mapSlice(ctx, in, f)
	if err != nil {
		return nil, err
	}
	return tensor.FromSlice(out, shape...)
}

func floatUnary[T floatT](ctx context.Context, name string, op unOp, x *tensor.Tensor) (*tensor.Tensor, error) {
	in := tensor.Values[T](x)
	if op.isPredicate() {
		var p func(T) bool
		switch op {
		case uIsNan:
			p = func(v T) bool { return v != v }
		case uIsInf:
			p = func(v T) bool { return math.IsInf(float64(v), 0) }
		case uIsFinite:
			p = func(v T) bool { return !math.IsInf(float64(v), 0) && v == v }
		}
		return mapTensor(ctx, in, x.Shape(), p)
	}
	if v, ok := any(in).([]float32); ok {
		if fast := fastF32(op); fast != nil {
			out, err := mapChunks(ctx, v, fast)
			if err != nil {
				return nil, err
			}
			return tensor.FromSlice(out, x.Shape()...)
		}
	}
	f := floatUnaryFn[T](op)
	if f == nil {
		return nil, errDType(name, x.DType())
	}
	return mapTensor(ctx, in, x.Shape(), f)
}

// fastF32 returns the slice loop of op for float32, if it has one.
func fastF32(op unOp) func(dst, src []float32) {
	if simd.Path() != "purego" {
		// AVX-512 / AVX2 polynomials (within 2 ulp of float64 math).
		switch op {
		case uExp:
			return simd.Exp
		case uSigmoid:
			return simd.Sigmoid
		case uTanh:
			return simd.Tanh
		}
	}
	switch op {
	case uExp:
		return expF32
	case uSigmoid:
		return sigmoidF32
	case uTanh:
		return tanhF32
	}
	return nil
}

// mapChunks applies a slice loop chunk by chunk, checking ctx in between.
func mapChunks(ctx context.Context, in []float32, f func(dst, src []float32)) ([]float32, error) {
	out := make([]float32, len(in))
	for start := 0; start < len(in); start += ctxCheckEvery {
		end := min(start+ctxCheckEvery, len(in))
		f(out[start:end], in[start:end])
		if end < len(in) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// floatUnaryFn returns op for a float type, or nil. float32 is computed in
// float64 and rounded once.
func floatUnaryFn[T floatT](op unOp) func(T) T {
	g := func(h func(float64) float64) func(T) T {
		return func(v T) T { return T(h(float64(v))) }
	}
	switch op {
	case uAbs:
		return g(math.Abs)
	case uNeg:
		return func(v T) T { return -v }
	case uRecip:
		return func(v T) T { return 1 / v }
	case uSquare:
		return func(v T) T { return v * v }
	case uSqrt:
		return g(math.Sqrt)
	case uRsqrt:
		return g(func(v float64) float64 { return 1 / math.Sqrt(v) })
	case uExp:
		return g(math.Exp)
	case uExpm1:
		return g(math.Expm1)
	case uLog:
		return g(math.Log)
	case uLog1p:
		return g(math.Log1p)
	case uSin:
		return g(math.Sin)
	case uCos:
		return g(math.Cos)
	case uTan:
		return g(math.Tan)
	case uAsin:
		return g(math.Asin)
	case uAcos:
		return g(math.Acos)
	case uAtan:
		return g(math.Atan)
	case uSinh:
		return g(math.Sinh)
	case uCosh:
		return g(math.Cosh)
	case uTanh:
		return g(math.Tanh)
	case uAsinh:
		return g(math.Asinh)
	case uAcosh:
		return g(math.Acosh)
	case uAtanh:
		return g(math.Atanh)
	case uErf:
		return g(math.Erf)
	case uErfc:
		return g(math.Erfc)
	case uCeil:
		return g(math.Ceil)
	case uFloor:
		return g(math.Floor)
	case uRound, uRint:
		return g(math.RoundToEven)
	case uSign:
		return func(v T) T {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return v // ±0 and NaN stay as they are
		}
	case uSigmoid:
		return g(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })
	}
	return nil
}

func intUnary[T intT](ctx context.Context, name string, op unOp, x *tensor.Tensor) (*tensor.Tensor, error) {
	in := tensor.Values[T](x)
	var f func(T) T
	switch op {
	case uAbs:
		f = func(v T) T {
			if v < 0 {
				return -v
			}
			return v
		}
	case uNeg:
		f = func(v T) T { return -v }
	case uSquare:
		f = func(v T) T { return v * v }
	case uSign:
		f = func(v T) T {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -T(1)
			}
			return 0
		}
	case uRound:
		return x, nil
	case uInvert:
		f = func(v T) T { return ^v }
	case uRecip:
		for _, v := range in {
			if v == 0 {
				return nil, errf("%s: Integer division by zero", name)
			}
		}
		f = func(v T) T { return 1 / v }
	default:
		return nil, errDType(name, x.DType())
	}
	return mapTensor(ctx, in, x.Shape(), f)
}

func complexUnary[T cplxT](ctx context.Context, name string, op unOp, x *tensor.Tensor) (*tensor.Tensor, error) {
	g := func(h func(complex128) complex128) func(T) T {
		return func(v T) T { return T(h(complex128(v))) }
	}
	var f func(T) T
	switch op {
	case uNeg:
		f = func(v T) T { return -v }
	case uRecip:
		f = func(v T) T { return 1 / v }
	case uSquare:
		f = func(v T) T { return v * v }
	case uSqrt:
		f = g(cmplx.Sqrt)
	case uRsqrt:
		f = g(func(v complex128) complex128 { return 1 / cmplx.Sqrt(v) })
	case uExp:
		f = g(cmplx.Exp)
	case uExpm1:
		f = g(func(v complex128) complex128 { return cmplx.Exp(v) - 1 })
	case uLog:
		f = g(cmplx.Log)
	case uLog1p:
		f = g(func(v complex128) complex128 { return cmplx.Log(1 + v) })
	case uSin:
		f = g(cmplx.Sin)
	case uCos:
		f = g(cmplx.Cos)
	case uTan:
		f = g(cmplx.Tan)
	case uAsin:
		f = g(cmplx.Asin)
	case uAcos:
		f = g(cmplx.Acos)
	case uAtan:
		f = g(cmplx.Atan)
	case uSinh:
		f = g(cmplx.Sinh)
	case uCosh:
		f = g(cmplx.Cosh)
	case uTanh:
		f = g(cmplx.Tanh)
	case uAsinh:
		f = g(cmplx.Asinh)
	case uAcosh:
		f = g(cmplx.Acosh)
	case uAtanh:
		f = g(cmplx.Atanh)
	case uSigmoid:
		f = g(func(v complex128) complex128 { return 1 / (1 + cmplx.Exp(-v)) })
	case uSign:
		f = g(func(v complex128) complex128 {
			if v == 0 {
				return 0
			}
			return v / complex(cmplx.Abs(v), 0)
		})
	default:
		return nil, errDType(name, x.DType())
	}
	return mapTensor(ctx, tensor.Values[T](x), x.Shape(), f)
}
