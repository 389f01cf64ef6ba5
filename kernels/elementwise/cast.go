package elementwise

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

func init() {
	kernels.Register(kernels.Def{Op: "Cast", Fn: castKernel})
	kernels.Register(kernels.Def{Op: "Complex", Fn: complexKernel})
	kernels.Register(kernels.Def{Op: "Real", Fn: complexPartKernel("Real", func(z complex128) float64 { return real(z) })})
	kernels.Register(kernels.Def{Op: "Imag", Fn: complexPartKernel("Imag", func(z complex128) float64 { return imag(z) })})
	kernels.Register(kernels.Def{Op: "ComplexAbs", Fn: complexPartKernel("ComplexAbs", cmplx.Abs)})
	kernels.Register(kernels.Def{Op: "Angle", Fn: complexPartKernel("Angle", cmplx.Phase)})
	kernels.Register(kernels.Def{Op: "Conj", Fn: conjKernel})
	kernels.Register(kernels.Def{Op: "ClipByValue", Fn: clipByValue})
	kernels.Register(kernels.Def{Op: "CheckNumerics", Fn: checkNumerics, Stateful: true})
}

// castKernel is TensorFlow's Cast (see tensor.Tensor.Cast for the
// conversion rules). With Truncate set, a conversion to a float type with
// a shorter mantissa drops the extra bits (rounds toward zero) instead of
// rounding to nearest.
func castKernel(c *kernels.Context) error {
	if c.NumInputs() != 1 {
		return c.Errorf("Cast expects 1 input, got %d", c.NumInputs())
	}
	x := c.Input(0)
	dst, err := c.AttrType("DstT", tensor.Invalid)
	if err != nil {
		return err
	}
	if dst == tensor.Invalid {
		return c.Errorf("Cast: missing attr DstT")
	}
	src, err := c.AttrType("SrcT", x.DType())
	if err != nil {
		return err
	}
	if src.Base() != x.DType().Base() {
		return c.Errorf("Cast: attr SrcT is %v but the input is %v", src, x.DType())
	}
	trunc, err := c.AttrBool("Truncate", false)
	if err != nil {
		return err
	}
	if trunc {
		x = truncateMantissa(x, dst.Base())
	}
	if x.DType() == tensor.Int32 && dst == tensor.Float32 {
		// The common image-input cast, vectorized.
		out := kernels.Make[float32](c.Ctx(), x.NumElements())
		simd.Int32ToFloat32(out, x.Int32s())
		y, err := tensor.FromSlice(out, x.Shape()...)
		if err != nil {
			return err
		}
		c.SetOutput(0, y)
		return nil
	}
	y, err := x.Cast(dst)
	if err != nil {
		return c.Errorf("Cast: unsupported cast from %v to %v: %v", x.DType(), dst, err)
	}
	c.SetOutput(0, y)
	return nil
}

// mantissaBits returns the explicit mantissa width of a float type (of the
// parts of a complex type), or 0.
func mantissaBits(d tensor.DType) int {
	switch d {
	case tensor.Float64, tensor.Complex128:
		return 52
	case tensor.Float32, tensor.Complex64:
		return 23
	case tensor.Float16:
		return 10
	case tensor.BFloat16:
		return 7
	}
	return 0
}

// truncateMantissa zeroes the low mantissa bits of float (or complex)
// values that a cast to dst cannot keep, so that the cast's rounding is
// exact and the result is rounded toward zero. NaN is left alone.
func truncateMantissa(x *tensor.Tensor, dst tensor.DType) *tensor.Tensor {
	from, to := mantissaBits(x.DType()), mantissaBits(dst)
	if from == 0 || to == 0 || to >= from {
		return x
	}
	drop := uint(from - to)
	switch v := x.Data().(type) {
	case []float32:
		return tensor.New(truncF32s(v, drop), x.Shape()...)
	case []float64:
		return tensor.New(truncF64s(v, drop), x.Shape()...)
	case []complex64:
		out := make([]complex64, len(v))
		for i, z := range v {
			out[i] = complex(truncF32(real(z), drop), truncF32(imag(z), drop))
		}
		return tensor.New(out, x.Shape()...)
	case []complex128:
		out := make([]complex128, len(v))
		for i, z := range v {
			out[i] = complex(truncF64(real(z), drop), truncF64(imag(z), drop))
		}
		return tensor.New(out, x.Shape()...)
	}
	return x
}

func truncF32(f float32, drop uint) float32 {
	if f != f {
		return f
	}
	return math.Float32frombits(math.Float32bits(f) &^ (1<<drop - 1))
}

func truncF64(f float64, drop uint) float64 {
	if f != f {
		return f
	}
	return math.Float64frombits(math.Float64bits(f) &^ (1<<drop - 1))
}

func truncF32s(v []float32, drop uint) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = truncF32(f, drop)
	}
	return out
}

func truncF64s(v []float64, drop uint) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = truncF64(f, drop)
	}
	return out
}

// complexKernel builds complex numbers from real and imaginary parts, with
// broadcasting.
func complexKernel(c *kernels.Context) error {
	if c.NumInputs() != 2 {
		return c.Errorf("Complex expects 2 inputs, got %d", c.NumInputs())
	}
	re, im := c.Input(0), c.Input(1)
	if re.DType() != im.DType() {
		return c.Errorf("Complex: real and imag have different dtypes %v and %v", re.DType(), im.DType())
	}
	bc, err := newBcast(re.Shape(), im.Shape())
	if err != nil {
		return fmt.Errorf("Complex: %w", err)
	}
	var out *tensor.Tensor
	switch re.DType() {
	case tensor.Float32:
		if err := checkOut(c, tensor.Complex64, bc.shape); err != nil {
			return err
		}
		v, err := binaryApply(ctxOf(c), bc, re.Float32s(), im.Float32s(),
			fromScalar(func(x, y float32) complex64 { return complex(x, y) }))
		if err != nil {
			return err
		}
		out = tensor.New(v, bc.shape...)
	case tensor.Float64:
		if err := checkOut(c, tensor.Complex128, bc.shape); err != nil {
			return err
		}
		v, err := binaryApply(ctxOf(c), bc, re.Float64s(), im.Float64s(),
			fromScalar(func(x, y float64) complex128 { return complex(x, y) }))
		if err != nil {
			return err
		}
		out = tensor.New(v, bc.shape...)
	default:
		return unsupported(c, "Complex", re.DType())
	}
	return setWithTout(c, "Complex", out)
}

// setWithTout sets output 0, converted to the Tout attr when the node sets
// one that differs from the natural type.
func setWithTout(c *kernels.Context, op string, out *tensor.Tensor) error {
	tout, err := c.AttrType("Tout", out.DType())
	if err != nil {
		return err
	}
	if tout != out.DType() {
		if out, err = out.Cast(tout); err != nil {
			return c.Errorf("%s: cannot produce Tout %v: %v", op, tout, err)
		}
	}
	c.SetOutput(0, out)
	return nil
}

// complexPartKernel maps complex values to reals: float32 for complex64,
// float64 for complex128.
func complexPartKernel(op string, f func(complex128) float64) kernels.Func {
	return func(c *kernels.Context) error {
		if c.NumInputs() != 1 {
			return c.Errorf("%s expects 1 input, got %d", op, c.NumInputs())
		}
		x := c.Input(0)
		var out *tensor.Tensor
		var err error
		switch v := x.Data().(type) {
		case []complex64:
			out, err = mapTensor(ctxOf(c), v, x.Shape(), func(z complex64) float32 { return float32(f(complex128(z))) })
		case []complex128:
			out, err = mapTensor(ctxOf(c), v, x.Shape(), func(z complex128) float64 { return f(z) })
		default:
			return unsupported(c, op, x.DType())
		}
		if err != nil {
			return err
		}
		return setWithTout(c, op, out)
	}
}

func conjKernel(c *kernels.Context) error {
	if c.NumInputs() != 1 {
		return c.Errorf("Conj expects 1 input, got %d", c.NumInputs())
	}
	x := c.Input(0)
	var out *tensor.Tensor
	var err error
	switch v := x.Data().(type) {
	case []complex64:
		out, err = mapTensor(ctxOf(c), v, x.Shape(), conj[complex64])
	case []complex128:
		out, err = mapTensor(ctxOf(c), v, x.Shape(), conj[complex128])
	default:
		return unsupported(c, "Conj", x.DType())
	}
	if err != nil {
		return err
	}
	c.SetOutput(0, out)
	return nil
}

// clipByValue is min(max(t, lo), hi) computed as TensorFlow does,
// max(min(t, hi), lo), where lo and hi are scalars or have t's shape.
// Complex values are clipped in their real and imaginary parts separately.
func clipByValue(c *kernels.Context) error {
	if c.NumInputs() != 3 {
		return c.Errorf("ClipByValue expects 3 inputs, got %d", c.NumInputs())
	}
	t, lo, hi := c.Input(0), c.Input(1), c.Input(2)
	if lo.DType() != t.DType() || hi.DType() != t.DType() {
		return c.Errorf("ClipByValue: dtypes differ: t %v, clip_value_min %v, clip_value_max %v", t.DType(), lo.DType(), hi.DType())
	}
	for _, b := range []*tensor.Tensor{lo, hi} {
		if b.Rank() != 0 && !slices.Equal(b.Shape(), t.Shape()) {
			return c.Errorf("ClipByValue: clip_value_min and clip_value_max must be either of the same shape as input, or a scalar. input shape: %s, clip_value_min shape: %s, clip_value_max shape: %s",
				shapeStr(t.Shape()), shapeStr(lo.Shape()), shapeStr(hi.Shape()))
		}
	}
	out, err := clipCompute(t, lo, hi)
	if err != nil {
		return err
	}
	c.SetOutput(0, out)
	return nil
}

func clipCompute(t, lo, hi *tensor.Tensor) (*tensor.Tensor, error) {
	switch t.DType() {
	case tensor.Float32:
		return clipReal[float32](t, lo, hi)
	case tensor.Float64:
		return clipReal[float64](t, lo, hi)
	case tensor.Int8:
		return clipReal[int8](t, lo, hi)
	case tensor.Int16:
		return clipReal[int16](t, lo, hi)
	case tensor.Int32:
		return clipReal[int32](t, lo, hi)
	case tensor.Int64:
		return clipReal[int64](t, lo, hi)
	case tensor.Uint8:
		return clipReal[uint8](t, lo, hi)
	case tensor.Uint16:
		return clipReal[uint16](t, lo, hi)
	case tensor.Uint32:
		return clipReal[uint32](t, lo, hi)
	case tensor.Uint64:
		return clipReal[uint64](t, lo, hi)
	case tensor.Complex64:
		return clipComplex[complex64](t, lo, hi)
	case tensor.Complex128:
		return clipComplex[complex128](t, lo, hi)
	case tensor.Float16, tensor.BFloat16:
		return viaF32(func(ts []*tensor.Tensor) (*tensor.Tensor, error) {
			return clipCompute(ts[0], ts[1], ts[2])
		}, t, lo, hi)
	}
	return nil, errDType("ClipByValue", t.DType())
}

// step returns 0 for a scalar operand (always index 0) and 1 otherwise.
func step(t *tensor.Tensor) int {
	if t.Rank() == 0 {
		return 0
	}
	return 1
}

func clipOne[T realT](v, lo, hi T) T {
	if hi < v {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

func clipReal[T realT](t, lo, hi *tensor.Tensor) (*tensor.Tensor, error) {
	tv, lv, hv := tensor.Values[T](t), tensor.Values[T](lo), tensor.Values[T](hi)
	sl, sh := step(lo), step(hi)
	out := make([]T, len(tv))
	for i, v := range tv {
		out[i] = clipOne(v, lv[i*sl], hv[i*sh])
	}
	return tensor.FromSlice(out, t.Shape()...)
}

func clipComplex[T cplxT](t, lo, hi *tensor.Tensor) (*tensor.Tensor, error) {
	tv, lv, hv := tensor.Values[T](t), tensor.Values[T](lo), tensor.Values[T](hi)
	sl, sh := step(lo), step(hi)
	out := make([]T, len(tv))
	for i, v := range tv {
		z, l, h := complex128(v), complex128(lv[i*sl]), complex128(hv[i*sh])
		out[i] = T(complex(clipOne(real(z), real(l), real(h)), clipOne(imag(z), imag(l), imag(h))))
	}
	return tensor.FromSlice(out, t.Shape()...)
}

// checkNumerics passes its input through, or fails when it holds NaN or
// infinity, with TensorFlow's message ("<message> : Tensor had NaN
// values").
func checkNumerics(c *kernels.Context) error {
	if c.NumInputs() != 1 {
		return c.Errorf("CheckNumerics expects 1 input, got %d", c.NumInputs())
	}
	x := c.Input(0)
	msg, err := c.AttrString("message", "")
	if err != nil {
		return err
	}
	var nan, inf bool
	switch v := x.Data().(type) {
	case []float32:
		nan, inf = scanNonFinite(v)
	case []float64:
		nan, inf = scanNonFinite(v)
	case []tensor.F16, []tensor.BF16:
		f, err := x.Cast(tensor.Float32)
		if err != nil {
			return err
		}
		nan, inf = scanNonFinite(f.Float32s())
	case []complex64:
		nan, inf = scanNonFiniteComplex(v)
	case []complex128:
		nan, inf = scanNonFiniteComplex(v)
	default:
		return unsupported(c, "CheckNumerics", x.DType())
	}
	var what string
	switch {
	case nan && inf:
		what = "Inf and NaN"
	case nan:
		what = "NaN"
	case inf:
		what = "Inf"
	}
	if what != "" {
		return c.Errorf("%s : Tensor had %s values", msg, what)
	}
	c.SetOutput(0, x)
	return nil
}

func scanNonFinite[T floatT](v []T) (nan, inf bool) {
	for _, f := range v {
		if f-f != 0 { // NaN or ±Inf
			if f != f {
				nan = true
			} else {
				inf = true
			}
		}
	}
	return nan, inf
}

func scanNonFiniteComplex[T cplxT](v []T) (nan, inf bool) {
	for _, z := range v {
		c := complex128(z)
		for _, f := range [2]float64{real(c), imag(c)} {
			switch {
			case math.IsNaN(f):
				nan = true
			case math.IsInf(f, 0):
				inf = true
			}
		}
	}
	return nan, inf
}
