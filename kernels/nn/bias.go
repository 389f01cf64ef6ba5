package nn

import (
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
	"math"
)

func init() {
	reg("BiasAdd", biasAdd(true))
	reg("BiasAddV1", biasAdd(false))
	reg("BiasAddGrad", biasAddGrad)
}

// channelLayout returns, for a tensor of the given shape and data_format,
// the number of channels and the length of the run of elements that share
// one channel (1 for NHWC, where channels are innermost; H*W*... for
// NCHW).
func channelLayout(shape []int, nchw bool) (channels, inner int) {
	if !nchw {
		return shape[len(shape)-1], 1
	}
	return shape[1], product(shape[2:])
}

func readFormat(c *kernels.Context, withFormat bool) (nchw bool, err error) {
	if !withFormat {
		return false, nil
	}
	f, err := c.AttrString("data_format", "NHWC")
	if err != nil {
		return false, err
	}
	switch f {
	case "NHWC":
		return false, nil
	case "NCHW":
		return true, nil
	}
	return false, c.Errorf("invalid data_format %q (expected NHWC or NCHW)", f)
}

// biasAdd adds a 1-D bias along the channel dimension: the last one
// (NHWC, and always for BiasAddV1) or dimension 1 (NCHW).
func biasAdd(withFormat bool) kernels.Func {
	return func(c *kernels.Context) error {
		if err := need(c, 2); err != nil {
			return err
		}
		v, b := c.Input(0), c.Input(1)
		nchw, err := readFormat(c, withFormat)
		if err != nil {
			return err
		}
		if v.Rank() < 2 {
			return c.Errorf("BiasAdd: input tensor must be at least 2D, got shape %s", shapeStr(v.Shape()))
		}
		if b.Rank() != 1 {
			return c.Errorf("BiasAdd: biases must be 1D, got shape %s", shapeStr(b.Shape()))
		}
		if v.DType() != b.DType() {
			return c.Errorf("BiasAdd: value is %v and bias is %v", v.DType(), b.DType())
		}
		ch, inner := channelLayout(v.Shape(), nchw)
		if b.Dim(0) != ch {
			return c.Errorf("BiasAdd: must provide as many biases as the channel dimension of the input tensor: %s vs. %s", shapeStr(b.Shape()), shapeStr(v.Shape()))
		}
		dt := v.DType()
		ws, err := widen(v, b)
		if err != nil {
			return c.Errorf("BiasAdd: %v", err)
		}
		var out *tensor.Tensor
		switch ws[0].DType() {
		case tensor.Float32:
			out, err = addBias[float32](ws[0], ws[1], ch, inner)
		case tensor.Float64:
			out, err = addBias[float64](ws[0], ws[1], ch, inner)
		case tensor.Int8:
			out, err = addBias[int8](ws[0], ws[1], ch, inner)
		case tensor.Int16:
			out, err = addBias[int16](ws[0], ws[1], ch, inner)
		case tensor.Int32:
			out, err = addBias[int32](ws[0], ws[1], ch, inner)
		case tensor.Int64:
			out, err = addBias[int64](ws[0], ws[1], ch, inner)
		case tensor.Uint8:
			out, err = addBias[uint8](ws[0], ws[1], ch, inner)
		case tensor.Uint16:
			out, err = addBias[uint16](ws[0], ws[1], ch, inner)
		case tensor.Uint32:
			out, err = addBias[uint32](ws[0], ws[1], ch, inner)
		case tensor.Uint64:
			out, err = addBias[uint64](ws[0], ws[1], ch, inner)
		case tensor.Complex64:
			out, err = addBias[complex64](ws[0], ws[1], ch, inner)
		case tensor.Complex128:
			out, err = addBias[complex128](ws[0], ws[1], ch, inner)
		default:
			return c.Errorf("BiasAdd does not support %v", dt)
		}
		if err != nil {
			return c.Errorf("BiasAdd: %v", err)
		}
		return setOut(c, 0, out, dt)
	}
}

func addBias[T numT](v, b *tensor.Tensor, ch, inner int) (*tensor.Tensor, error) {
	x, bias := tensor.Values[T](v), tensor.Values[T](b)
	out := make([]T, len(x))
	if ch > 0 {
		if o32, ok := any(out).([]float32); ok && inner == 1 && len(x)%ch == 0 {
			copy(o32, any(x).([]float32))
			inf := float32(math.Inf(1))
			simd.BiasClamp(o32, ch, nil, any(bias).([]float32), -inf, inf)
		} else if inner == 1 {
			for i := 0; i+ch <= len(x); i += ch {
				o, in := out[i:i+ch], x[i:i+ch]
				for j := range o {
					o[j] = in[j] + bias[j]
				}
			}
		} else if inner > 0 {
			blk := ch * inner
			for i := 0; i+blk <= len(x); i += blk {
				for j, bj := range bias {
					o, in := out[i+j*inner:i+(j+1)*inner], x[i+j*inner:i+(j+1)*inner]
					for p := range o {
						o[p] = in[p] + bj
					}
				}
			}
		}
	}
	return tensor.FromSlice(out, v.Shape()...)
}

// biasAddGrad sums out_backprop over every dimension but the channel one.
func biasAddGrad(c *kernels.Context) error {
	if err := need(c, 1); err != nil {
		return err
	}
	g := c.Input(0)
	nchw, err := readFormat(c, true)
	if err != nil {
		return err
	}
	if g.Rank() < 2 {
		return c.Errorf("BiasAddGrad: input tensor must be at least 2D, got shape %s", shapeStr(g.Shape()))
	}
	ch, inner := channelLayout(g.Shape(), nchw)
	dt := g.DType()
	var out *tensor.Tensor
	switch dt {
	case tensor.Float32:
		out = sumBiasFloat(tensor.Values[float32](g), ch, inner)
	case tensor.Float16, tensor.BFloat16:
		w, err := g.Cast(tensor.Float32)
		if err != nil {
			return c.Errorf("BiasAddGrad: %v", err)
		}
		out = sumBiasFloat(w.Float32s(), ch, inner)
	case tensor.Float64:
		out = sumBiasFloat(tensor.Values[float64](g), ch, inner)
	case tensor.Int8:
		out = sumBiasSame[int8](g, ch, inner)
	case tensor.Int16:
		out = sumBiasSame[int16](g, ch, inner)
	case tensor.Int32:
		out = sumBiasSame[int32](g, ch, inner)
	case tensor.Int64:
		out = sumBiasSame[int64](g, ch, inner)
	case tensor.Uint8:
		out = sumBiasSame[uint8](g, ch, inner)
	case tensor.Uint16:
		out = sumBiasSame[uint16](g, ch, inner)
	case tensor.Uint32:
		out = sumBiasSame[uint32](g, ch, inner)
	case tensor.Uint64:
		out = sumBiasSame[uint64](g, ch, inner)
	case tensor.Complex64:
		out = sumBiasSame[complex64](g, ch, inner)
	case tensor.Complex128:
		out = sumBiasSame[complex128](g, ch, inner)
	default:
		return c.Errorf("BiasAddGrad does not support %v", dt)
	}
	return setOut(c, 0, out, dt)
}

// sumBiasFloat sums per channel in float64 and rounds once.
func sumBiasFloat[T floatT](x []T, ch, inner int) *tensor.Tensor {
	acc := make([]float64, ch)
	if ch > 0 && inner > 0 {
		blk := ch * inner
		for i := 0; i+blk <= len(x); i += blk {
			if inner == 1 {
				for j, v := range x[i : i+ch] {
					acc[j] += float64(v)
				}
				continue
			}
			for j := 0; j < ch; j++ {
				s := acc[j]
				for _, v := range x[i+j*inner : i+(j+1)*inner] {
					s += float64(v)
				}
				acc[j] = s
			}
		}
	}
	out := make([]T, ch)
	for i, s := range acc {
		out[i] = T(s)
	}
	return tensor.New(out, ch)
}

func sumBiasSame[T numT](g *tensor.Tensor, ch, inner int) *tensor.Tensor {
	x := tensor.Values[T](g)
	acc := make([]T, ch)
	if ch > 0 && inner > 0 {
		blk := ch * inner
		for i := 0; i+blk <= len(x); i += blk {
			for j := 0; j < ch; j++ {
				for _, v := range x[i+j*inner : i+(j+1)*inner] {
					acc[j] += v
				}
			}
		}
	}
	return tensor.New(acc, ch)
}
