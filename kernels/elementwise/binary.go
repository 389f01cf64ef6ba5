package elementwise

import (
	"context"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"unsafe"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// binOp names a binary elementwise function.
type binOp int

const (
	bAdd      binOp = iota
	bSub            // x - y
	bMul            // x * y
	bDiv            // Div, RealDiv: x / y; integers truncate
	bTruncDiv       // TruncateDiv: trunc(x / y)
	bDivNoNan       // 0 where y == 0
	bMulNoNan       // 0 where y == 0
	bFloorDiv       // floor(x / y)
	bFloorMod       // x - floor(x / y) * y: the sign of y
	bTruncMod       // Mod, TruncateMod: C's % and fmod, the sign of x
	bMax
	bMin
	bPow
	bSqDiff // (x - y) * conj(x - y)
	bAtan2  // atan2(x, y): the inputs are (y, x) in TensorFlow's naming
	bAnd
	bOr
	bXor
	bShl
	bShr
	bXdivy   // 0 if x == 0 else x / y
	bXlogy   // 0 if x == 0 else x * log(y)
	bXlog1py // 0 if x == 0 else x * log1p(y)
	// The gradient helpers take (y, dy) where y is the forward output.
	bSigmoidGrad // dy * y * (1 - y)
	bTanhGrad    // dy * (1 - y^2)
	bRsqrtGrad   // -0.5 * dy * y^3
	bSqrtGrad    // 0.5 * dy / y
	bRecipGrad   // -dy * y^2
)

// intDivides reports whether op divides by its second operand, so that an
// integer zero there is an error.
func (op binOp) intDivides() bool {
	switch op {
	case bDiv, bTruncDiv, bFloorDiv, bFloorMod, bTruncMod:
		return true
	}
	return false
}

func (op binOp) isGrad() bool { return op >= bSigmoidGrad }

// binaryDefs lists the broadcasting binary ops and the gradient helpers.
var binaryDefs = []struct {
	name string
	op   binOp
}{
	{"Add", bAdd}, {"AddV2", bAdd}, {"Sub", bSub}, {"Mul", bMul},
	{"RealDiv", bDiv}, {"Div", bDiv}, {"TruncateDiv", bTruncDiv},
	{"DivNoNan", bDivNoNan}, {"MulNoNan", bMulNoNan},
	{"FloorDiv", bFloorDiv}, {"FloorMod", bFloorMod},
	{"Mod", bTruncMod}, {"TruncateMod", bTruncMod},
	{"Maximum", bMax}, {"Minimum", bMin}, {"Pow", bPow},
	{"SquaredDifference", bSqDiff}, {"Atan2", bAtan2},
	{"BitwiseAnd", bAnd}, {"BitwiseOr", bOr}, {"BitwiseXor", bXor},
	{"LeftShift", bShl}, {"RightShift", bShr},
	{"Xdivy", bXdivy}, {"Xlogy", bXlogy}, {"Xlog1py", bXlog1py},
	{"SigmoidGrad", bSigmoidGrad}, {"TanhGrad", bTanhGrad},
	{"RsqrtGrad", bRsqrtGrad}, {"SqrtGrad", bSqrtGrad},
	{"ReciprocalGrad", bRecipGrad}, {"InvGrad", bRecipGrad},
}

func init() {
	for _, d := range binaryDefs {
		kernels.Register(kernels.Def{Op: d.name, Fn: binaryKernel(d.name, d.op)})
	}
	kernels.Register(kernels.Def{Op: "AddN", Fn: addN})
}

// errf returns an error wrapping kernels.ErrInvalidArgument.
func errf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", kernels.ErrInvalidArgument, fmt.Sprintf(format, args...))
}

func errDType(op string, d tensor.DType) error {
	return errf("%s does not support dtype %v", op, d)
}

// binaryKernel returns the kernel of a broadcasting binary op. The
// gradient helpers do not broadcast: like TensorFlow they need inputs with
// the same number of elements, and the output takes the first's shape.
func binaryKernel(name string, op binOp) kernels.Func {
	return func(c *kernels.Context) error {
		if c.NumInputs() != 2 {
			return c.Errorf("%s expects 2 inputs, got %d", name, c.NumInputs())
		}
		a, b := c.Input(0), c.Input(1)
		if a.DType() != b.DType() {
			return c.Errorf("%s: operands have different dtypes %v and %v", name, a.DType(), b.DType())
		}
		var bc *bcast
		var err error
		if op.isGrad() {
			if a.NumElements() != b.NumElements() {
				return c.Errorf("%s: the two arguments to a cwise op must have the same number of elements, got %d (shape %s) and %d (shape %s)",
					name, a.NumElements(), shapeStr(a.Shape()), b.NumElements(), shapeStr(b.Shape()))
			}
			bc, err = newBcast(a.Shape(), a.Shape())
		} else {
			bc, err = newBcast(a.Shape(), b.Shape())
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := checkOut(c, a.DType(), bc.shape); err != nil {
			return err
		}
		out, err := binaryCompute(ctxOf(c), name, op, a, b, bc)
		if err != nil {
			return err
		}
		c.SetOutput(0, out)
		return nil
	}
}

// binaryCompute applies op to a and b (of the same dtype) under bc.
func binaryCompute(ctx context.Context, name string, op binOp, a, b *tensor.Tensor, bc *bcast) (*tensor.Tensor, error) {
	switch a.DType() {
	case tensor.Float32:
		return floatBinary[float32](ctx, name, op, a, b, bc)
	case tensor.Float64:
		return floatBinary[float64](ctx, name, op, a, b, bc)
	case tensor.Float16, tensor.BFloat16:
		if floatFns[float32](op) == nil {
			return nil, errDType(name, a.DType())
		}
		return viaF32(func(ts []*tensor.Tensor) (*tensor.Tensor, error) {
			return binaryCompute(ctx, name, op, ts[0], ts[1], bc)
		}, a, b)
	case tensor.Int8:
		return intBinary[int8](ctx, name, op, a, b, bc)
	case tensor.Int16:
		return intBinary[int16](ctx, name, op, a, b, bc)
	case tensor.Int32:
		return intBinary[int32](ctx, name, op, a, b, bc)
	case tensor.Int64:
		return intBinary[int64](ctx, name, op, a, b, bc)
	case tensor.Uint8:
		return intBinary[uint8](ctx, name, op, a, b, bc)
	case tensor.Uint16:
		return intBinary[uint16](ctx, name, op, a, b, bc)
	case tensor.Uint32:
		return intBinary[uint32](ctx, name, op, a, b, bc)
	case tensor.Uint64:
		return intBinary[uint64](ctx, name, op, a, b, bc)
	case tensor.Complex64:
		return complexBinary[complex64](ctx, name, op, a, b, bc)
	case tensor.Complex128:
		return complexBinary[complex128](ctx, name, op, a, b, bc)
	case tensor.String:
		if name == "Add" {
			out, err := binaryApply(ctx, bc, a.Strings(), b.Strings(), fromScalar(func(x, y string) string { return x + y }))
			if err != nil {
				return nil, err
			}
			return tensor.FromSlice(out, bc.shape...)
		}
	}
	return nil, errDType(name, a.DType())
}

func floatBinary[T floatT](ctx context.Context, name string, op binOp, a, b *tensor.Tensor, bc *bcast) (*tensor.Tensor, error) {
	f := cachedFns(int(op), a.DType(), func() *vecFns[T, T] { return floatFns[T](op) })
	if f == nil {
		return nil, errDType(name, a.DType())
	}
	out, err := binaryApply(ctx, bc, tensor.Values[T](a), tensor.Values[T](b), f)
	if err != nil {
		return nil, err
	}
	return tensor.FromSlice(out, bc.shape...)
}

// simdFns returns the vectorized float32 loops of the four arithmetic
// ops (package simd: AVX-512, AVX2 or pure Go), or nil.
func simdFns(op binOp) *vecFns[float32, float32] {
	type ops struct {
		vv     func(dst, a, b []float32)
		vs, sv func(dst, a []float32, s float32)
	}
	var o ops
	switch op {
	case bAdd:
		o = ops{simd.Add, simd.AddScalar, simd.AddScalar}
	case bSub:
		o = ops{simd.Sub, simd.SubScalar, simd.ScalarSub}
	case bMul:
		o = ops{simd.Mul, simd.MulScalar, simd.MulScalar}
	case bDiv:
		o = ops{simd.Div, simd.DivScalar, simd.ScalarDiv}
	default:
		return nil
	}
	return &vecFns[float32, float32]{
		vv: func(dst, x, y []float32) { n := len(dst); o.vv(dst, x[:n], y[:n]) },
		vs: func(dst, x []float32, y float32) { o.vs(dst, x[:len(dst)], y) },
		sv: func(dst []float32, x float32, y []float32) { o.sv(dst, y[:len(dst)], x) },
	}
}

// floatFns returns the loops of op for a float type, or nil.
func floatFns[T floatT](op binOp) *vecFns[T, T] {
	if f, ok := any(simdFns(op)).(*vecFns[T, T]); ok && f != nil {
		return f
	}
	f64 := func(x T) float64 { return float64(x) }
	switch op {
	case bAdd:
		return addFns[T]()
	case bSub:
		return subFns[T]()
	case bMul:
		return mulFns[T]()
	case bDiv:
		return divFns[T]()
	case bMax:
		return maxFns[T]()
	case bMin:
		return minFns[T]()
	case bTruncDiv:
		return fromScalar(func(x, y T) T { return T(math.Trunc(f64(x / y))) })
	case bDivNoNan:
		return fromScalar(func(x, y T) T {
			if y == 0 {
				return 0
			}
			return x / y
		})
	case bMulNoNan:
		return fromScalar(func(x, y T) T {
			if y == 0 {
				return 0
			}
			return x * y
		})
	case bFloorDiv:
		return fromScalar(func(x, y T) T { return T(math.Floor(f64(x / y))) })
	case bFloorMod:
		return fromScalar(func(x, y T) T {
			r := T(math.Mod(f64(x), f64(y)))
			if r != 0 && (y < 0) != (r < 0) {
				r += y
			}
			return r
		})
	case bTruncMod:
		return fromScalar(func(x, y T) T { return T(math.Mod(f64(x), f64(y))) })
	case bPow:
		return fromScalar(func(x, y T) T { return T(math.Pow(f64(x), f64(y))) })
	case bSqDiff:
		return fromScalar(func(x, y T) T { d := x - y; return d * d })
	case bAtan2:
		return fromScalar(func(x, y T) T { return T(math.Atan2(f64(x), f64(y))) })
	case bXdivy:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x / y
		})
	case bXlogy:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x * T(math.Log(f64(y)))
		})
	case bXlog1py:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x * T(math.Log1p(f64(y)))
		})
	case bSigmoidGrad:
		return fromScalar(func(y, dy T) T { return dy * (y * (1 - y)) })
	case bTanhGrad:
		return fromScalar(func(y, dy T) T { return dy * (1 - y*y) })
	case bRsqrtGrad:
		return fromScalar(func(y, dy T) T { return -0.5 * dy * (y * y * y) })
	case bSqrtGrad:
		return fromScalar(func(y, dy T) T { return 0.5 * dy / y })
	case bRecipGrad:
		return fromScalar(func(y, dy T) T { return -dy * (y * y) })
	}
	return nil
}

func intBinary[T intT](ctx context.Context, name string, op binOp, a, b *tensor.Tensor, bc *bcast) (*tensor.Tensor, error) {
	f := cachedFns(int(op), a.DType(), func() *vecFns[T, T] { return intFns[T](op) })
	if f == nil {
		return nil, errDType(name, a.DType())
	}
	x, y := tensor.Values[T](a), tensor.Values[T](b)
	if bc.n > 0 {
		// Every element of y is used when the output is not empty.
		if op.intDivides() {
			for _, v := range y {
				if v == 0 {
					return nil, errf("%s: Integer division by zero", name)
				}
			}
		}
		if op == bPow {
			for _, v := range y {
				if v < 0 {
					return nil, errf("%s: Integers to negative integer powers are not allowed", name)
				}
			}
		}
	}
	out, err := binaryApply(ctx, bc, x, y, f)
	if err != nil {
		return nil, err
	}
	return tensor.FromSlice(out, bc.shape...)
}

// ipow raises x to the non-negative power y by squaring, wrapping on
// overflow like TensorFlow's integer Pow.
func ipow[T intT](x, y T) T {
	r := T(1)
	for y > 0 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}

// shiftCount clamps a shift count to [0, bits-1] as TensorFlow does.
func shiftCount[T intT](y T) uint {
	var z T
	bits := T(unsafe.Sizeof(z) * 8)
	if y < 0 {
		return 0
	}
	if y > bits-1 {
		return uint(bits - 1)
	}
	return uint(y)
}

// intFns returns the loops of op for an integer type, or nil.
func intFns[T intT](op binOp) *vecFns[T, T] {
	switch op {
	case bAdd:
		return addFns[T]()
	case bSub:
		return subFns[T]()
	case bMul:
		return mulFns[T]()
	case bDiv, bTruncDiv:
		return divFns[T]()
	case bFloorDiv:
		return fromScalar(func(x, y T) T {
			z := x / y
			if z*y != x && (x < 0) != (y < 0) {
				z--
			}
			return z
		})
	case bFloorMod:
		return fromScalar(func(x, y T) T {
			r := x % y
			if r != 0 && (y < 0) != (r < 0) {
				r += y
			}
			return r
		})
	case bTruncMod:
		return fromScalar(func(x, y T) T { return x % y })
	case bMax:
		return fromScalar(imax[T])
	case bMin:
		return fromScalar(imin[T])
	case bPow:
		return fromScalar(ipow[T])
	case bSqDiff:
		return fromScalar(func(x, y T) T { d := x - y; return d * d })
	case bAnd:
		return fromScalar(func(x, y T) T { return x & y })
	case bOr:
		return fromScalar(func(x, y T) T { return x | y })
	case bXor:
		return fromScalar(func(x, y T) T { return x ^ y })
	case bShl:
		return fromScalar(func(x, y T) T { return x << shiftCount(y) })
	case bShr:
		return fromScalar(func(x, y T) T { return x >> shiftCount(y) })
	}
	return nil
}

func complexBinary[T cplxT](ctx context.Context, name string, op binOp, a, b *tensor.Tensor, bc *bcast) (*tensor.Tensor, error) {
	f := cachedFns(int(op), a.DType(), func() *vecFns[T, T] { return complexFns[T](op) })
	if f == nil {
		return nil, errDType(name, a.DType())
	}
	out, err := binaryApply(ctx, bc, tensor.Values[T](a), tensor.Values[T](b), f)
	if err != nil {
		return nil, err
	}
	return tensor.FromSlice(out, bc.shape...)
}

// conj returns the complex conjugate.
func conj[T cplxT](x T) T {
	c := complex128(x)
	return T(complex(real(c), -imag(c)))
}

// complexFns returns the loops of op for a complex type, or nil.
func complexFns[T cplxT](op binOp) *vecFns[T, T] {
	c128 := func(x T) complex128 { return complex128(x) }
	switch op {
	case bAdd:
		return addFns[T]()
	case bSub:
		return subFns[T]()
	case bMul:
		return mulFns[T]()
	case bDiv:
		return divFns[T]()
	case bDivNoNan:
		return fromScalar(func(x, y T) T {
			if y == 0 || x*conj(y) == 0 {
				return 0
			}
			return x / y
		})
	case bMulNoNan:
		return fromScalar(func(x, y T) T {
			if y == 0 {
				return 0
			}
			return x * y
		})
	case bPow:
		return fromScalar(func(x, y T) T { return T(cmplx.Pow(c128(x), c128(y))) })
	case bSqDiff:
		return fromScalar(func(x, y T) T { d := x - y; return d * conj(d) })
	case bXdivy:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x / y
		})
	case bXlogy:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x * T(cmplx.Log(c128(y)))
		})
	case bXlog1py:
		return fromScalar(func(x, y T) T {
			if x == 0 {
				return 0
			}
			return x * T(cmplx.Log(1+c128(y)))
		})
	case bSigmoidGrad:
		return fromScalar(func(y, dy T) T { return dy * conj(y*(1-y)) })
	case bTanhGrad:
		return fromScalar(func(y, dy T) T { return dy * conj(1-y*y) })
	case bRsqrtGrad:
		return fromScalar(func(y, dy T) T { return -0.5 * dy * conj(y*y*y) })
	case bSqrtGrad:
		return fromScalar(func(y, dy T) T { return 0.5 * dy / conj(y) })
	case bRecipGrad:
		return fromScalar(func(y, dy T) T { return -dy * conj(y*y) })
	}
	return nil
}

// addN sums N tensors of the same dtype and shape.
func addN(c *kernels.Context) error {
	n := c.NumInputs()
	if n == 0 {
		return c.Errorf("AddN needs at least one input")
	}
	first := c.Input(0)
	for i := 1; i < n; i++ {
		t := c.Input(i)
		if t.DType() != first.DType() {
			return c.Errorf("AddN: input %d has dtype %v, input 0 has %v", i, t.DType(), first.DType())
		}
		if !slices.Equal(t.Shape(), first.Shape()) {
			return c.Errorf("AddN: inputs must have the same size and shape: input 0 %s != input %d %s",
				shapeStr(first.Shape()), i, shapeStr(t.Shape()))
		}
	}
	if n == 1 {
		c.SetOutput(0, first)
		return nil
	}
	out, err := addNCompute(c.Inputs())
	if err != nil {
		return err
	}
	c.SetOutput(0, out)
	return nil
}

func addNCompute(ins []*tensor.Tensor) (*tensor.Tensor, error) {
	switch ins[0].DType() {
	case tensor.Float32:
		return addNT[float32](ins)
	case tensor.Float64:
		return addNT[float64](ins)
	case tensor.Int8:
		return addNT[int8](ins)
	case tensor.Int16:
		return addNT[int16](ins)
	case tensor.Int32:
		return addNT[int32](ins)
	case tensor.Int64:
		return addNT[int64](ins)
	case tensor.Uint8:
		return addNT[uint8](ins)
	case tensor.Uint16:
		return addNT[uint16](ins)
	case tensor.Uint32:
		return addNT[uint32](ins)
	case tensor.Uint64:
		return addNT[uint64](ins)
	case tensor.Complex64:
		return addNT[complex64](ins)
	case tensor.Complex128:
		return addNT[complex128](ins)
	case tensor.Float16, tensor.BFloat16:
		return viaF32(addNCompute, ins...)
	}
	return nil, errDType("AddN", ins[0].DType())
}

func addNT[T number](ins []*tensor.Tensor) (*tensor.Tensor, error) {
	out := append([]T(nil), tensor.Values[T](ins[0])...)
	if out == nil {
		out = []T{}
	}
	add := addFns[T]().vv
	for _, t := range ins[1:] {
		add(out, out, tensor.Values[T](t))
	}
	return tensor.FromSlice(out, ins[0].Shape()...)
}
