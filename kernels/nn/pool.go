package nn

import (
	"math"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

func init() {
	reg("MaxPool", poolOp("MaxPool", 2, poolMax, false))
	reg("MaxPoolV2", poolOp("MaxPoolV2", 2, poolMax, true))
	reg("AvgPool", poolOp("AvgPool", 2, poolAvg, false))
	reg("MaxPool3D", poolOp("MaxPool3D", 3, poolMax, false))
	reg("AvgPool3D", poolOp("AvgPool3D", 3, poolAvg, false))
	reg("MaxPoolGrad", maxPoolGradOp)
	reg("AvgPoolGrad", avgPoolGradOp)
	reg("MaxPoolWithArgmax", maxPoolWithArgmaxOp, "output", "argmax")
}

type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
)

// pool is the geometry of a pooling window over NDHWC data; 2-D pooling
// has d = 1 and a trivial z dimension.
type pool struct {
	n, d, h, w, c int
	z, y, x       geom
}

func (p *pool) outShape(rank int) []int {
	if rank == 4 {
		return []int{p.n, p.y.out, p.x.out, p.c}
	}
	return []int{p.n, p.z.out, p.y.out, p.x.out, p.c}
}

// poolGeometry checks the window attrs (or, for the V2 ops, the given
// ksize and strides) against an input of the given shape (rank 4 NHWC or
// 5 NDHWC) and resolves the geometry.
func poolGeometry(c *kernels.Context, op string, shape, ksize, strides []int, explicitOK bool) (*pool, error) {
	rank := len(shape)
	if len(ksize) != rank || len(strides) != rank {
		return nil, c.Errorf("%s: ksize and strides must have %d elements, got %v and %v", op, rank, ksize, strides)
	}
	for i := range ksize {
		if ksize[i] < 1 || strides[i] < 1 {
			return nil, c.Errorf("%s: ksize and strides must be positive, got %v and %v", op, ksize, strides)
		}
	}
	if ksize[0] != 1 || strides[0] != 1 {
		return nil, c.Errorf("%s: pooling is not supported on the batch dimension (ksize %v, strides %v)", op, ksize, strides)
	}
	if ksize[rank-1] != 1 || strides[rank-1] != 1 {
		return nil, c.Errorf("%s: pooling across depth is not supported here (ksize %v, strides %v)", op, ksize, strides)
	}
	padding, err := c.AttrString("padding", "")
	if err != nil {
		return nil, err
	}
	var explicit []int
	if explicitOK {
		if explicit, err = attrInts(c, "explicit_paddings", nil); err != nil {
			return nil, err
		}
	}
	switch padding {
	case "SAME", "VALID":
		if len(explicit) > 0 {
			return nil, c.Errorf("%s: explicit_paddings must be empty when padding is %s, got %v", op, padding, explicit)
		}
		explicit = nil
	case "EXPLICIT":
		if !explicitOK {
			return nil, c.Errorf("%s: padding must be SAME or VALID, got EXPLICIT", op)
		}
		if len(explicit) != 2*rank {
			return nil, c.Errorf("%s: explicit_paddings must have %d elements, got %d", op, 2*rank, len(explicit))
		}
		if explicit[0] != 0 || explicit[1] != 0 || explicit[2*rank-2] != 0 || explicit[2*rank-1] != 0 {
			return nil, c.Errorf("%s: explicit paddings of the batch and depth dimensions must be 0, got %v", op, explicit)
		}
	default:
		return nil, c.Errorf("%s: unknown padding %q", op, padding)
	}
	p := &pool{n: shape[0], d: 1, c: shape[rank-1]}
	p.z = geom{in: 1, k: 1, stride: 1, dil: 1, out: 1}
	dims := []*geom{&p.y, &p.x}
	sizes := []*int{&p.h, &p.w}
	if rank == 5 {
		dims = []*geom{&p.z, &p.y, &p.x}
		sizes = []*int{&p.d, &p.h, &p.w}
	}
	for i := range dims {
		s := spec{stride: strides[i+1], dil: 1, padding: padding}
		if explicit != nil {
			s.before, s.after = explicit[2*(i+1)], explicit[2*(i+1)+1]
			if s.before >= ksize[i+1] || s.after >= ksize[i+1] {
				return nil, c.Errorf("%s: explicit padding %d,%d must be smaller than the window size %d", op, s.before, s.after, ksize[i+1])
			}
		}
		*sizes[i] = shape[i+1]
		g, err := s.resolve(c, op, shape[i+1], ksize[i+1])
		if err != nil {
			return nil, err
		}
		*dims[i] = g
	}
	return p, nil
}

// span returns the clipped input range [lo, hi) of output index o.
func (g geom) span(o int) (lo, hi int) {
	lo = o*g.stride - g.pad
	hi = min(lo+g.k, g.in)
	return max(lo, 0), hi
}

// poolOp builds MaxPool, AvgPool (rank 2) and their 3-D versions. With
// fromInputs (MaxPoolV2), ksize and strides are inputs 1 and 2.
func poolOp(op string, spatial int, kind poolKind, fromInputs bool) kernels.Func {
	rank := spatial + 2
	format := "NHWC"
	if spatial == 3 {
		format = "NDHWC"
	}
	return func(c *kernels.Context) error {
		n := 1
		if fromInputs {
			n = 3
		}
		if err := need(c, n); err != nil {
			return err
		}
		x := c.Input(0)
		if f, err := c.AttrString("data_format", format); err != nil {
			return err
		} else if f != format {
			return c.Errorf("%s on CPU only supports the %s data format, got %s", op, format, f)
		}
		var ksize, strides []int
		var err error
		if fromInputs {
			if ksize, err = kernels.IntsOf(c.Input(1)); err != nil {
				return c.Errorf("%s: ksize: %v", op, err)
			}
			if strides, err = kernels.IntsOf(c.Input(2)); err != nil {
				return c.Errorf("%s: strides: %v", op, err)
			}
		} else {
			if ksize, err = attrInts(c, "ksize", nil); err != nil {
				return err
			}
			if strides, err = attrInts(c, "strides", nil); err != nil {
				return err
			}
		}
		if x.Rank() != rank {
			return c.Errorf("%s: input must be %d-dimensional, got shape %s", op, rank, shapeStr(x.Shape()))
		}
		if kind == poolMax && spatial == 2 && len(ksize) == 4 && ksize[3] > 1 {
			return depthMaxPool(c, op, x, ksize, strides)
		}
		p, err := poolGeometry(c, op, x.Shape(), ksize, strides, op == "MaxPool")
		if err != nil {
			return err
		}
		dt := x.DType()
		if kind == poolAvg && !isFloat(dt) {
			return c.Errorf("%s does not support %v", op, dt)
		}
		ws, err := widen(x)
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		shape := p.outShape(rank)
		var out *tensor.Tensor
		switch ws[0].DType() {
		case tensor.Float32:
			out, err = poolRun[float32](c, p, kind, ws[0], shape)
		case tensor.Float64:
			out, err = poolRun[float64](c, p, kind, ws[0], shape)
		case tensor.Int8:
			out, err = poolRun[int8](c, p, kind, ws[0], shape)
		case tensor.Int16:
			out, err = poolRun[int16](c, p, kind, ws[0], shape)
		case tensor.Int32:
			out, err = poolRun[int32](c, p, kind, ws[0], shape)
		case tensor.Int64:
			out, err = poolRun[int64](c, p, kind, ws[0], shape)
		case tensor.Uint8:
			out, err = poolRun[uint8](c, p, kind, ws[0], shape)
		case tensor.Uint16:
			out, err = poolRun[uint16](c, p, kind, ws[0], shape)
		default:
			return c.Errorf("%s does not support %v", op, dt)
		}
		if err != nil {
			return err
		}
		return setOut(c, 0, out, dt)
	}
}

// lowest returns the smallest value of T (-Inf for floats).
func lowest[T realT]() T {
	var z T
	switch any(z).(type) {
	case float32:
		return T(math.Inf(-1))
	case float64:
		return T(math.Inf(-1))
	case int8:
		return any(int8(math.MinInt8)).(T)
	case int16:
		return any(int16(math.MinInt16)).(T)
	case int32:
		return any(int32(math.MinInt32)).(T)
	case int64:
		return any(int64(math.MinInt64)).(T)
	}
	return 0 // unsigned
}

// poolRun computes max or average pooling. Padding taps are skipped: the
// max ignores them and the average divides by the number of taps inside
// the input.
func poolRun[T realT](c *kernels.Context, p *pool, kind poolKind, xt *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	out, err := alloc[T](c, shape)
	if err != nil {
		return nil, err
	}
	x := tensor.Values[T](xt)
	ch := p.c
	low := lowest[T]()
	rows := p.n * p.z.out * p.y.out
	do := func(r int) {
		var sum []float64
		if kind == poolAvg {
			sum = make([]float64, ch)
		}
		b := r / (p.z.out * p.y.out)
		oz := r / p.y.out % p.z.out
		oy := r % p.y.out
		z0, z1 := p.z.span(oz)
		y0, y1 := p.y.span(oy)
		for ox := 0; ox < p.x.out; ox++ {
			x0, x1 := p.x.span(ox)
			o := out[(r*p.x.out+ox)*ch : (r*p.x.out+ox+1)*ch]
			if kind == poolMax {
				for i := range o {
					o[i] = low
				}
				first := true
				for iz := z0; iz < z1; iz++ {
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							base := (((b*p.d+iz)*p.h+iy)*p.w + ix) * ch
							in := x[base : base+ch]
							if first {
								copy(o, in)
								first = false
								continue
							}
							if o32, ok := any(o).([]float32); ok && ch >= 8 {
								simd.Max(o32, o32, any(in).([]float32))
								continue
							}
							for i, v := range in {
								if o[i] < v {
									o[i] = v
								}
							}
						}
					}
				}
				continue
			}
			clear(sum)
			count := 0
			for iz := z0; iz < z1; iz++ {
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						base := (((b*p.d+iz)*p.h+iy)*p.w + ix) * ch
						for i, v := range x[base : base+ch] {
							sum[i] += float64(v)
						}
						count++
					}
				}
			}
			if count == 0 {
				continue
			}
			inv := 1 / float64(count)
			for i := range o {
				o[i] = T(sum[i] * inv)
			}
		}
	}
	perRow := p.x.out * ch * p.z.k * p.y.k * p.x.k
	if err := parallelRows(c, rows, perRow, do); err != nil {
		return nil, err
	}
	return tensor.FromSlice(out, shape...)
}

// depthMaxPool pools across channels: ksize and strides are 1 in space
// and equal (dividing the depth) in the channel dimension.
func depthMaxPool(c *kernels.Context, op string, x *tensor.Tensor, ksize, strides []int) error {
	if len(strides) != 4 {
		return c.Errorf("%s: strides must have 4 elements, got %v", op, strides)
	}
	if ksize[0] != 1 || ksize[1] != 1 || ksize[2] != 1 {
		return c.Errorf("%s: pooling supports exactly one of pooling across depth or pooling across width/height, got ksize %v", op, ksize)
	}
	kd := ksize[3]
	if strides[0] != 1 || strides[1] != 1 || strides[2] != 1 || strides[3] != kd {
		return c.Errorf("%s: depthwise max pooling requires the depth window to equal the depth stride and unit spatial strides, got ksize %v and strides %v", op, ksize, strides)
	}
	s := x.Shape()
	if s[3]%kd != 0 {
		return c.Errorf("%s: depthwise max pooling requires the depth window %d to evenly divide the input depth %d", op, kd, s[3])
	}
	dt := x.DType()
	ws, err := widen(x)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	shape := []int{s[0], s[1], s[2], s[3] / kd}
	var out *tensor.Tensor
	switch ws[0].DType() {
	case tensor.Float32:
		out, err = depthMax[float32](ws[0], kd, shape)
	case tensor.Float64:
		out, err = depthMax[float64](ws[0], kd, shape)
	case tensor.Int8:
		out, err = depthMax[int8](ws[0], kd, shape)
	case tensor.Int16:
		out, err = depthMax[int16](ws[0], kd, shape)
	case tensor.Int32:
		out, err = depthMax[int32](ws[0], kd, shape)
	case tensor.Int64:
		out, err = depthMax[int64](ws[0], kd, shape)
	case tensor.Uint8:
		out, err = depthMax[uint8](ws[0], kd, shape)
	case tensor.Uint16:
		out, err = depthMax[uint16](ws[0], kd, shape)
	default:
		return c.Errorf("%s does not support %v", op, dt)
	}
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	return setOut(c, 0, out, dt)
}

func depthMax[T realT](xt *tensor.Tensor, kd int, shape []int) (*tensor.Tensor, error) {
	x := tensor.Values[T](xt)
	out := make([]T, len(x)/kd)
	for i := range out {
		m := x[i*kd]
		for _, v := range x[i*kd+1 : (i+1)*kd] {
			if m < v {
				m = v
			}
		}
		out[i] = m
	}
	return tensor.FromSlice(out, shape...)
}
