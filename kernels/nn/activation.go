package nn

import (
	"math"
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// SELU's constants (Klambauer et al., 2017), as TF uses them.
const (
	seluScale = 1.0507009873554804934193349852946
	seluAlpha = 1.6732632423543772848170429916717
)

func init() {
	reg("Relu", relu)
	reg("Relu6", relu6)
	reg("ReluGrad", reluGrad(false))
	reg("Relu6Grad", reluGrad(true))
	reg("Elu", floatUnary("Elu", eluLoop[float32], eluLoop[float64]))
	reg("Selu", floatUnary("Selu", seluLoop[float32], seluLoop[float64]))
	reg("Softplus", floatUnary("Softplus", softplusLoop[float32], softplusLoop[float64]))
	reg("Softsign", floatUnary("Softsign", softsignLoop[float32], softsignLoop[float64]))
	reg("LeakyRelu", leakyRelu)
	reg("EluGrad", floatBinary("EluGrad", eluGradLoop[float32], eluGradLoop[float64]))
	reg("SeluGrad", floatBinary("SeluGrad", seluGradLoop[float32], seluGradLoop[float64]))
	reg("SoftplusGrad", floatBinary("SoftplusGrad", softplusGradLoop[float32], softplusGradLoop[float64]))
	reg("SoftsignGrad", floatBinary("SoftsignGrad", softsignGradLoop[float32], softsignGradLoop[float64]))
	reg("LeakyReluGrad", leakyReluGrad)
}

// mapT applies f to the elements of x, which must hold []T.
func mapT[T tensor.Element](x *tensor.Tensor, f func(in, out []T)) (*tensor.Tensor, error) {
	in := tensor.Values[T](x)
	out := make([]T, len(in))
	f(in, out)
	return tensor.FromSlice(out, x.Shape()...)
}

// mapT2 applies f to the elements of a and b (same shape, []T).
func mapT2[T tensor.Element](a, b *tensor.Tensor, f func(x, y, out []T)) (*tensor.Tensor, error) {
	x, y := tensor.Values[T](a), tensor.Values[T](b)
	out := make([]T, len(x))
	f(x, y[:len(x)], out)
	return tensor.FromSlice(out, a.Shape()...)
}

// floatUnary builds the kernel of an elementwise float op from its
// float32 and float64 loops; halves go through float32.
func floatUnary(op string, f32 func(in, out []float32), f64 func(in, out []float64)) kernels.Func {
	return func(c *kernels.Context) error {
		if err := need(c, 1); err != nil {
			return err
		}
		x := c.Input(0)
		if err := checkFloat(c, op, x); err != nil {
			return err
		}
		ws, err := widen(x)
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		var out *tensor.Tensor
		if ws[0].DType() == tensor.Float64 {
			out, err = mapT(ws[0], f64)
		} else {
			out, err = mapT(ws[0], f32)
		}
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		return setOut(c, 0, out, x.DType())
	}
}

// floatBinary builds the kernel of a gradient op f(gradients, x) over two
// float tensors of the same shape.
func floatBinary(op string, f32 func(g, x, out []float32), f64 func(g, x, out []float64)) kernels.Func {
	return func(c *kernels.Context) error {
		if err := need(c, 2); err != nil {
			return err
		}
		g, x := c.Input(0), c.Input(1)
		if err := checkFloat(c, op, g, x); err != nil {
			return err
		}
		if !slices.Equal(g.Shape(), x.Shape()) {
			return c.Errorf("%s: gradients and features must have the same shape, got %s and %s", op, shapeStr(g.Shape()), shapeStr(x.Shape()))
		}
		ws, err := widen(g, x)
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		var out *tensor.Tensor
		if ws[0].DType() == tensor.Float64 {
			out, err = mapT2(ws[0], ws[1], f64)
		} else {
			out, err = mapT2(ws[0], ws[1], f32)
		}
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		return setOut(c, 0, out, g.DType())
	}
}

// relu computes max(x, 0); NaN stays NaN, as on TF's CPU.
func relu(c *kernels.Context) error {
	return reluLike(c, "Relu", false)
}

// relu6 computes min(max(x, 0), 6).
func relu6(c *kernels.Context) error {
	return reluLike(c, "Relu6", true)
}

func reluLike(c *kernels.Context, op string, six bool) error {
	if err := need(c, 1); err != nil {
		return err
	}
	x := c.Input(0)
	dt := x.DType()
	ws, err := widen(x)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	var out *tensor.Tensor
	switch ws[0].DType() {
	case tensor.Float32:
		in := ws[0].Float32s()
		o := kernels.Make[float32](c.Ctx(), len(in))
		reluPick[float32](six)(in, o)
		out, err = tensor.FromSlice(o, ws[0].Shape()...)
	case tensor.Float64:
		out, err = mapT(ws[0], reluPick[float64](six))
	case tensor.Int8:
		out, err = mapT(ws[0], reluPick[int8](six))
	case tensor.Int16:
		out, err = mapT(ws[0], reluPick[int16](six))
	case tensor.Int32:
		out, err = mapT(ws[0], reluPick[int32](six))
	case tensor.Int64:
		out, err = mapT(ws[0], reluPick[int64](six))
	case tensor.Uint8:
		out, err = mapT(ws[0], reluPick[uint8](six))
	case tensor.Uint16:
		out, err = mapT(ws[0], reluPick[uint16](six))
	case tensor.Uint32:
		out, err = mapT(ws[0], reluPick[uint32](six))
	case tensor.Uint64:
		out, err = mapT(ws[0], reluPick[uint64](six))
	default:
		return c.Errorf("%s does not support %v", op, dt)
	}
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	return setOut(c, 0, out, dt)
}

func reluPick[T realT](six bool) func(in, out []T) {
	hi := float32(math.Inf(1))
	if six {
		hi = 6
	}
	var f32 func(in, out []float32) = func(in, out []float32) { simd.Clamp(out[:len(in)], in, 0, hi) }
	if f, ok := any(f32).(func(in, out []T)); ok {
		return f
	}
	if six {
		return relu6Loop[T]
	}
	return reluLoop[T]
}

func reluLoop[T realT](in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		if v < 0 {
			v = 0
		}
		out[i] = v
	}
}

func relu6Loop[T realT](in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		if v < 0 {
			v = 0
		}
		if 6 < v {
			v = 6
		}
		out[i] = v
	}
}

// reluGrad computes gradients * (features > 0) for ReluGrad and
// gradients * (0 < features < 6) for Relu6Grad.
func reluGrad(six bool) kernels.Func {
	op := "ReluGrad"
	if six {
		op = "Relu6Grad"
	}
	return func(c *kernels.Context) error {
		if err := need(c, 2); err != nil {
			return err
		}
		g, x := c.Input(0), c.Input(1)
		if g.DType() != x.DType() {
			return c.Errorf("%s: gradients are %v and features %v", op, g.DType(), x.DType())
		}
		if !slices.Equal(g.Shape(), x.Shape()) {
			return c.Errorf("%s: gradients and features must have the same shape, got %s and %s", op, shapeStr(g.Shape()), shapeStr(x.Shape()))
		}
		dt := g.DType()
		ws, err := widen(g, x)
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		var out *tensor.Tensor
		switch ws[0].DType() {
		case tensor.Float32:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[float32](six))
		case tensor.Float64:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[float64](six))
		case tensor.Int8:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[int8](six))
		case tensor.Int16:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[int16](six))
		case tensor.Int32:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[int32](six))
		case tensor.Int64:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[int64](six))
		case tensor.Uint8:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[uint8](six))
		case tensor.Uint16:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[uint16](six))
		case tensor.Uint32:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[uint32](six))
		case tensor.Uint64:
			out, err = mapT2(ws[0], ws[1], reluGradLoop[uint64](six))
		default:
			return c.Errorf("%s does not support %v", op, dt)
		}
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		return setOut(c, 0, out, dt)
	}
}

// reluGradLoop multiplies by a 0/1 mask (rather than selecting), so that a
// NaN or infinite gradient gives NaN where the mask is 0, as in TF.
func reluGradLoop[T realT](six bool) func(g, x, out []T) {
	return func(g, x, out []T) {
		x = x[:len(g)]
		out = out[:len(g)]
		for i, gv := range g {
			var m T
			if x[i] > 0 && (!six || x[i] < 6) {
				m = 1
			}
			out[i] = gv * m
		}
	}
}

func eluLoop[T floatT](in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		if v < 0 {
			v = T(math.Expm1(float64(v)))
		}
		out[i] = v
	}
}

func seluLoop[T floatT](in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		if v < 0 {
			out[i] = T(seluScale * seluAlpha * math.Expm1(float64(v)))
		} else {
			out[i] = T(seluScale * float64(v))
		}
	}
}

// softplusLoop computes log(1 + exp(x)) without overflow, with TF's
// thresholds: x itself above -log(eps)-2, exp(x) below log(eps)+2.
func softplusLoop[T floatT](in, out []T) {
	eps := 0x1p-23
	if _, ok := any(in).([]float64); ok {
		eps = 0x1p-52
	}
	threshold := math.Log(eps) + 2
	out = out[:len(in)]
	for i, v := range in {
		x := float64(v)
		switch {
		case x > -threshold:
			out[i] = v
		case x < threshold:
			out[i] = T(math.Exp(x))
		default:
			out[i] = T(math.Log1p(math.Exp(x)))
		}
	}
}

func softsignLoop[T floatT](in, out []T) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = v / (abs(v) + 1)
	}
}

func abs[T floatT](v T) T {
	if v < 0 {
		return -v
	}
	return v
}

// eluGradLoop: gradients*(outputs+1) where outputs < 0, else gradients.
func eluGradLoop[T floatT](g, y, out []T) {
	y = y[:len(g)]
	out = out[:len(g)]
	for i, gv := range g {
		if y[i] < 0 {
			out[i] = gv * (y[i] + 1)
		} else {
			out[i] = gv
		}
	}
}

// seluGradLoop: gradients*(outputs+scale*alpha) where outputs < 0, else
// gradients*scale.
func seluGradLoop[T floatT](g, y, out []T) {
	y = y[:len(g)]
	out = out[:len(g)]
	for i, gv := range g {
		if y[i] < 0 {
			out[i] = T(float64(gv) * (float64(y[i]) + seluScale*seluAlpha))
		} else {
			out[i] = T(float64(gv) * seluScale)
		}
	}
}

// softplusGradLoop: gradients / (1 + exp(-features)).
func softplusGradLoop[T floatT](g, x, out []T) {
	x = x[:len(g)]
	out = out[:len(g)]
	for i, gv := range g {
		out[i] = T(float64(gv) / (math.Exp(-float64(x[i])) + 1))
	}
}

// softsignGradLoop: gradients / (1 + |features|)^2.
func softsignGradLoop[T floatT](g, x, out []T) {
	x = x[:len(g)]
	out = out[:len(g)]
	for i, gv := range g {
		d := abs(x[i]) + 1
		out[i] = gv / (d * d)
	}
}

// leakyRelu computes x where x > 0, else alpha*x.
func leakyRelu(c *kernels.Context) error {
	alpha, err := c.AttrFloat("alpha", 0.2)
	if err != nil {
		return err
	}
	a32, a64 := alpha, float64(alpha)
	return floatUnary("LeakyRelu",
		func(in, out []float32) { leakyLoop(in, out, a32) },
		func(in, out []float64) { leakyLoop(in, out, a64) })(c)
}

func leakyLoop[T floatT](in, out []T, alpha T) {
	out = out[:len(in)]
	for i, v := range in {
		if v > 0 {
			out[i] = v
		} else {
			out[i] = v * alpha
		}
	}
}

// leakyReluGrad computes gradients where features > 0, else
// gradients*alpha.
func leakyReluGrad(c *kernels.Context) error {
	alpha, err := c.AttrFloat("alpha", 0.2)
	if err != nil {
		return err
	}
	a32, a64 := alpha, float64(alpha)
	return floatBinary("LeakyReluGrad",
		func(g, x, out []float32) { leakyGradLoop(g, x, out, a32) },
		func(g, x, out []float64) { leakyGradLoop(g, x, out, a64) })(c)
}

func leakyGradLoop[T floatT](g, x, out []T, alpha T) {
	x = x[:len(g)]
	out = out[:len(g)]
	for i, gv := range g {
		if x[i] > 0 {
			out[i] = gv
		} else {
			out[i] = gv * alpha
		}
	}
}
