package nn

import (
	"math"
	"runtime"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
)

func init() {
	reg("DepthwiseConv2dNative", depthwiseOp)
	reg("DepthwiseConv2dNativeBackpropInput", depthwiseBackInputOp)
	reg("DepthwiseConv2dNativeBackpropFilter", depthwiseBackFilterOp)
}

// depthwise is the geometry of a depthwise convolution: input [n, h, w,
// c], filter [kh, kw, c, m], output [n, oh, ow, c*m] whose channel c*m+j
// is input channel c convolved with filter[:, :, c, j].
type depthwise struct {
	n, h, w, c, kh, kw, m int
	y, x                  geom
}

// simdParams is the geometry for simd.Depthwise (multiplier 1).
func (p *depthwise) simdParams() simd.DepthwiseParams {
	return simd.DepthwiseParams{N: p.n, H: p.h, W: p.w, C: p.c, KH: p.kh, KW: p.kw,
		StrideH: p.y.stride, StrideW: p.x.stride, DilH: p.y.dil, DilW: p.x.dil,
		PadTop: p.y.pad, PadLeft: p.x.pad, OH: p.y.out, OW: p.x.out}
}

func (p *depthwise) outShape() []int { return []int{p.n, p.y.out, p.x.out, p.c * p.m} }

func depthwiseGeometry(c *kernels.Context, op string, in, filter []int) (*depthwise, error) {
	f, err := c.AttrString("data_format", "NHWC")
	if err != nil {
		return nil, err
	}
	if f != "NHWC" {
		return nil, c.Errorf("%s: depthwise convolution on CPU is only supported for NHWC format, got %s", op, f)
	}
	specs, err := windowAttrs(c, op, 4, "strides", "dilations", true)
	if err != nil {
		return nil, err
	}
	if len(in) != 4 {
		return nil, c.Errorf("%s: input must be 4-dimensional, got shape %s", op, shapeStr(in))
	}
	if len(filter) != 4 {
		return nil, c.Errorf("%s: filter must be 4-dimensional, got shape %s", op, shapeStr(filter))
	}
	if in[3] != filter[2] {
		return nil, c.Errorf("%s: input and filter must have the same depth: %d vs %d", op, in[3], filter[2])
	}
	p := &depthwise{n: in[0], h: in[1], w: in[2], c: in[3], kh: filter[0], kw: filter[1], m: filter[3]}
	if p.y, err = specs[0].resolve(c, op+" rows", p.h, p.kh); err != nil {
		return nil, err
	}
	if p.x, err = specs[1].resolve(c, op+" cols", p.w, p.kw); err != nil {
		return nil, err
	}
	return p, nil
}

// depthwiseForward computes the output, splitting the output rows over
// the cores. For each output pixel it lists the filter taps that fall
// inside the input, then accumulates blocks of 8 channels in registers
// over those taps.
func depthwiseForward[T floatT](c *kernels.Context, p *depthwise, x, f, out []T) error {
	if xs, ok := any(x).([]float32); ok && p.m == 1 {
		if err := ctxErr(c); err != nil {
			return err
		}
		inf := float32(math.Inf(1))
		simd.Depthwise(p.simdParams(), xs, any(f).([]float32), any(out).([]float32), nil, nil, -inf, inf, runtime.GOMAXPROCS(0))
		return nil
	}
	oc := p.c * p.m
	rows := p.n * p.y.out
	do := func(r int) {
		b, oy := r/p.y.out, r%p.y.out
		iy0 := oy*p.y.stride - p.y.pad
		taps := make([][2]int, 0, p.kh*p.kw) // (input offset, filter offset)
		for ox := 0; ox < p.x.out; ox++ {
			o := out[(r*p.x.out+ox)*oc : (r*p.x.out+ox+1)*oc]
			ix0 := ox*p.x.stride - p.x.pad
			taps = taps[:0]
			for ky := 0; ky < p.kh; ky++ {
				iy := iy0 + ky*p.y.dil
				if iy < 0 || iy >= p.h {
					continue
				}
				for kx := 0; kx < p.kw; kx++ {
					ix := ix0 + kx*p.x.dil
					if ix < 0 || ix >= p.w {
						continue
					}
					taps = append(taps, [2]int{((b*p.h+iy)*p.w + ix) * p.c, (ky*p.kw + kx) * oc})
				}
			}
			if p.m == 1 {
				depthwisePixel(x, f, o, taps)
				continue
			}
			for _, t := range taps {
				in := x[t[0] : t[0]+p.c]
				fk := f[t[1] : t[1]+oc]
				for ci, v := range in {
					oo := o[ci*p.m : (ci+1)*p.m]
					ff := fk[ci*p.m : (ci+1)*p.m]
					for j := range oo {
						oo[j] += v * ff[j]
					}
				}
			}
		}
	}
	return parallelRows(c, rows, p.x.out*oc*p.kh*p.kw, do)
}

// depthwisePixel computes one output pixel of a depthwise convolution
// with multiplier 1: o[ch] = sum over taps of x[in+ch] * f[fo+ch].
func depthwisePixel[T floatT](x, f, o []T, taps [][2]int) {
	nc := len(o)
	ch := 0
	for ; ch+8 <= nc; ch += 8 {
		var s0, s1, s2, s3, s4, s5, s6, s7 T
		for _, t := range taps {
			in := x[t[0]+ch : t[0]+ch+8 : t[0]+ch+8]
			fk := f[t[1]+ch : t[1]+ch+8 : t[1]+ch+8]
			s0 += in[0] * fk[0]
			s1 += in[1] * fk[1]
			s2 += in[2] * fk[2]
			s3 += in[3] * fk[3]
			s4 += in[4] * fk[4]
			s5 += in[5] * fk[5]
			s6 += in[6] * fk[6]
			s7 += in[7] * fk[7]
		}
		oo := o[ch : ch+8 : ch+8]
		oo[0], oo[1], oo[2], oo[3], oo[4], oo[5], oo[6], oo[7] = s0, s1, s2, s3, s4, s5, s6, s7
	}
	for ; ch < nc; ch++ {
		var s T
		for _, t := range taps {
			s += x[t[0]+ch] * f[t[1]+ch]
		}
		o[ch] = s
	}
}

// parallelRows runs do(0..rows-1), split over the cores when the work
// (rows * perRow multiply-adds) is large, checking for cancellation.
func parallelRows(c *kernels.Context, rows, perRow int, do func(r int)) error {
	ctx := ctxOf(c)
	if rows*perRow < 1<<16 || rows < 2 {
		for r := 0; r < rows; r++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			do(r)
		}
		return nil
	}
	parallelFor(rows, func(r int) {
		if ctx.Err() == nil {
			do(r)
		}
	})
	return ctx.Err()
}

// depthwiseBackInput scatters out_backprop through the filter into dx
// (zero on entry); images are independent, so batches run in parallel.
func depthwiseBackInput[T floatT](c *kernels.Context, p *depthwise, dy, f, dx []T) error {
	if d, ok := any(dy).([]float32); ok && p.m == 1 {
		if err := ctxErr(c); err != nil {
			return err
		}
		if simd.DepthwiseBackpropInput(p.simdParams(), d, any(f).([]float32), any(dx).([]float32), runtime.GOMAXPROCS(0)) {
			return nil
		}
	}
	oc := p.c * p.m
	do := func(b int) {
		for oy := 0; oy < p.y.out; oy++ {
			iy0 := oy*p.y.stride - p.y.pad
			for ox := 0; ox < p.x.out; ox++ {
				g := dy[((b*p.y.out+oy)*p.x.out+ox)*oc : ((b*p.y.out+oy)*p.x.out+ox+1)*oc]
				ix0 := ox*p.x.stride - p.x.pad
				for ky := 0; ky < p.kh; ky++ {
					iy := iy0 + ky*p.y.dil
					if iy < 0 || iy >= p.h {
						continue
					}
					for kx := 0; kx < p.kw; kx++ {
						ix := ix0 + kx*p.x.dil
						if ix < 0 || ix >= p.w {
							continue
						}
						d := dx[((b*p.h+iy)*p.w+ix)*p.c : ((b*p.h+iy)*p.w+ix+1)*p.c]
						fk := f[(ky*p.kw+kx)*oc : (ky*p.kw+kx+1)*oc]
						for ci := range d {
							var s T
							for j := 0; j < p.m; j++ {
								s += g[ci*p.m+j] * fk[ci*p.m+j]
							}
							d[ci] += s
						}
					}
				}
			}
		}
	}
	return parallelRows(c, p.n, p.y.out*p.x.out*oc*p.kh*p.kw, do)
}

// depthwiseBackFilter accumulates input * out_backprop into df (zero on
// entry).
func depthwiseBackFilter[T floatT](c *kernels.Context, p *depthwise, x, dy, df []T) error {
	if xs, ok := any(x).([]float32); ok && p.m == 1 {
		if err := ctxErr(c); err != nil {
			return err
		}
		simd.DepthwiseBackpropFilter(p.simdParams(), xs, any(dy).([]float32), any(df).([]float32), runtime.GOMAXPROCS(0))
		return nil
	}
	oc := p.c * p.m
	for b := 0; b < p.n; b++ {
		for oy := 0; oy < p.y.out; oy++ {
			if err := ctxErr(c); err != nil {
				return err
			}
			iy0 := oy*p.y.stride - p.y.pad
			for ox := 0; ox < p.x.out; ox++ {
				g := dy[((b*p.y.out+oy)*p.x.out+ox)*oc : ((b*p.y.out+oy)*p.x.out+ox+1)*oc]
				ix0 := ox*p.x.stride - p.x.pad
				for ky := 0; ky < p.kh; ky++ {
					iy := iy0 + ky*p.y.dil
					if iy < 0 || iy >= p.h {
						continue
					}
					for kx := 0; kx < p.kw; kx++ {
						ix := ix0 + kx*p.x.dil
						if ix < 0 || ix >= p.w {
							continue
						}
						in := x[((b*p.h+iy)*p.w+ix)*p.c : ((b*p.h+iy)*p.w+ix+1)*p.c]
						d := df[(ky*p.kw+kx)*oc : (ky*p.kw+kx+1)*oc]
						for ci, v := range in {
							dd := d[ci*p.m : (ci+1)*p.m]
							gg := g[ci*p.m : (ci+1)*p.m]
							for j := range dd {
								dd[j] += v * gg[j]
							}
						}
					}
				}
			}
		}
	}
	return nil
}

func depthwiseOp(c *kernels.Context) error {
	const op = "DepthwiseConv2dNative"
	if err := need(c, 2); err != nil {
		return err
	}
	x, f := c.Input(0), c.Input(1)
	if err := checkFloat(c, op, x, f); err != nil {
		return err
	}
	p, err := depthwiseGeometry(c, op, x.Shape(), f.Shape())
	if err != nil {
		return err
	}
	return runConv(c, op, x, f, p.outShape(),
		func(a, b, o []float32) error { return depthwiseForward(c, p, a, b, o) },
		func(a, b, o []float64) error { return depthwiseForward(c, p, a, b, o) },
		nil)
}

func depthwiseBackInputOp(c *kernels.Context) error {
	const op = "DepthwiseConv2dNativeBackpropInput"
	if err := need(c, 3); err != nil {
		return err
	}
	sizes, f, dy := c.Input(0), c.Input(1), c.Input(2)
	if err := checkFloat(c, op, f, dy); err != nil {
		return err
	}
	if dy.Rank() != 4 || f.Rank() != 4 {
		return c.Errorf("%s: filter and out_backprop must be 4-dimensional, got %s and %s", op, shapeStr(f.Shape()), shapeStr(dy.Shape()))
	}
	in, err := inputSizes(c, op, sizes, false, 0, 0)
	if err != nil {
		return err
	}
	p, err := depthwiseGeometry(c, op, in, f.Shape())
	if err != nil {
		return err
	}
	if err := checkOutBackprop(c, op, dy, p.outShape()); err != nil {
		return err
	}
	return runConv(c, op, dy, f, in,
		func(a, b, o []float32) error { return depthwiseBackInput(c, p, a, b, o) },
		func(a, b, o []float64) error { return depthwiseBackInput(c, p, a, b, o) },
		nil)
}

func depthwiseBackFilterOp(c *kernels.Context) error {
	const op = "DepthwiseConv2dNativeBackpropFilter"
	if err := need(c, 3); err != nil {
		return err
	}
	x, sizes, dy := c.Input(0), c.Input(1), c.Input(2)
	if err := checkFloat(c, op, x, dy); err != nil {
		return err
	}
	if x.Rank() != 4 || dy.Rank() != 4 {
		return c.Errorf("%s: input and out_backprop must be 4-dimensional, got %s and %s", op, shapeStr(x.Shape()), shapeStr(dy.Shape()))
	}
	fs, err := inputSizes(c, op, sizes, false, 0, 0)
	if err != nil {
		return err
	}
	p, err := depthwiseGeometry(c, op, x.Shape(), fs)
	if err != nil {
		return err
	}
	if err := checkOutBackprop(c, op, dy, p.outShape()); err != nil {
		return err
	}
	return runConv(c, op, x, dy, fs,
		func(a, b, o []float32) error { return depthwiseBackFilter(c, p, a, b, o) },
		func(a, b, o []float64) error { return depthwiseBackFilter(c, p, a, b, o) },
		nil)
}
