package simd

import (
	"fmt"
	"math"
	"sync"
)

// DepthwiseParams is the geometry of a depthwise convolution with channel
// multiplier 1, channels last: input [N, H, W, C], filter [KH, KW, C, 1],
// output [N, OH, OW, C].
type DepthwiseParams struct {
	N, H, W, C       int
	KH, KW           int
	StrideH, StrideW int
	DilH, DilW       int // 1 for none
	PadTop, PadLeft  int // rows and columns of zero padding before the input
	OH, OW           int
}

func (p DepthwiseParams) check(x, w, y []float32) error {
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 0 || p.KH < 0 || p.KW < 0 || p.StrideH < 1 || p.StrideW < 1 ||
		p.DilH < 1 || p.DilW < 1 || p.PadTop < 0 || p.PadLeft < 0 || p.OH < 0 || p.OW < 0 {
		return fmt.Errorf("simd: bad depthwise geometry %+v", p)
	}
	if len(x) != p.N*p.H*p.W*p.C || len(w) != p.KH*p.KW*p.C || len(y) != p.N*p.OH*p.OW*p.C {
		return fmt.Errorf("simd: depthwise buffers of %d, %d, %d values do not fit %+v", len(x), len(w), len(y), p)
	}
	return nil
}

// Depthwise computes y = clamp(depthwise(x, w)*scale + bias, lo, hi) per
// channel; scale nil means 1, bias nil means 0, and lo, hi = -Inf, +Inf
// means no activation (0, 6 is Relu6). y is overwritten. Output rows are
// split over up to threads goroutines. It panics if the buffers do not
// fit p (callers validate shapes first).
func Depthwise(p DepthwiseParams, x, w, y, scale, bias []float32, lo, hi float32, threads int) {
	if err := p.check(x, w, y); err != nil {
		panic(err)
	}
	if len(y) == 0 {
		return
	}
	if bias == nil {
		bias = make([]float32, p.C)
	}
	k := active.Load()
	rows := p.N * p.OH
	work := len(y) * p.KH * p.KW
	if threads < 1 || work < 1<<16 {
		threads = 1
	}
	threads = min(threads, rows)
	if threads == 1 {
		dwRows(k, p, x, w, y, scale, bias, lo, hi, 0, rows)
		return
	}
	var wg sync.WaitGroup
	per := (rows + threads - 1) / threads
	for lo0 := 0; lo0 < rows; lo0 += per {
		hi0 := min(rows, lo0+per)
		wg.Go(func() { dwRows(k, p, x, w, y, scale, bias, lo, hi, lo0, hi0) })
	}
	wg.Wait()
}

// dwRows computes output rows [r0, r1) (row r = image r/OH, row r%OH).
func dwRows(k *impl, p DepthwiseParams, x, w, y, scale, bias []float32, lo, hi float32, r0, r1 int) {
	C := p.C
	v := 0
	var sp *float32
	if scale != nil {
		v, sp = 1, &scale[0]
	}
	// Interior columns: every filter column falls inside the input.
	oxLo := 0
	for oxLo < p.OW && oxLo*p.StrideW-p.PadLeft < 0 {
		oxLo++
	}
	oxHi := p.OW
	for oxHi > oxLo && (oxHi-1)*p.StrideW-p.PadLeft+(p.KW-1)*p.DilW >= p.W {
		oxHi--
	}
	offs := make([]int, 0, 2*p.KH*p.KW)
	run := func(out, xb int, npix int, taps []int) {
		if len(taps) == 0 {
			clear(y[out : out+npix*C])
			BiasClamp(y[out:out+npix*C], C, scale, bias, lo, hi)
			return
		}
		ntaps := len(taps) / 2
		k.dwRow[v](&y[out], &x[xb], &w[0], C, &taps[0], ntaps, npix, p.StrideW*C, sp, &bias[0], lo, hi)
		if d := k.done(C); d < C {
			goDwPixels(&y[out], &x[xb], &w[0], C, d, C, &taps[0], ntaps, npix, p.StrideW*C, sp, &bias[0], lo, hi, scale != nil)
		}
	}
	for r := r0; r < r1; r++ {
		b, oy := r/p.OH, r%p.OH
		iy0 := oy*p.StrideH - p.PadTop
		rowOut := r * p.OW * C
		// pixel runs a set of columns [ox0, ox1) whose taps are the same
		// relative to their input column.
		pixel := func(ox0, ox1 int) {
			ix0 := ox0*p.StrideW - p.PadLeft
			offs = offs[:0]
			// x offsets are relative to image b's column ix0 (or 0 when
			// ix0 is negative) at row 0.
			base := ix0
			if base < 0 {
				base = 0
			}
			for ky := 0; ky < p.KH; ky++ {
				iy := iy0 + ky*p.DilH
				if iy < 0 || iy >= p.H {
					continue
				}
				for kx := 0; kx < p.KW; kx++ {
					ix := ix0 + kx*p.DilW
					if ix < 0 || ix >= p.W {
						continue
					}
					offs = append(offs, (iy*p.W+ix-base)*C, (ky*p.KW+kx)*C)
				}
			}
			run(rowOut+ox0*C, (b*p.H*p.W+base)*C, ox1-ox0, offs)
		}
		for ox := 0; ox < oxLo; ox++ {
			pixel(ox, ox+1)
		}
		if oxLo < oxHi {
			pixel(oxLo, oxHi)
		}
		for ox := max(oxHi, oxLo); ox < p.OW; ox++ {
			pixel(ox, ox+1)
		}
	}
}

// DepthwiseBackpropFilter computes the gradient of a depthwise
// convolution (multiplier 1) with respect to its filter:
//
//	dw[ky, kx, c] = sum over b, oy, ox of x[b, iy, ix, c] * dy[b, oy, ox, c]
//
// with iy = oy*StrideH - PadTop + ky*DilH (and ix likewise) inside the
// input. dw ([KH, KW, C]) is overwritten. It reuses the forward row
// kernel with the roles swapped: each filter tap is one "pixel" whose
// taps are the output positions. Filter taps are split over up to
// threads goroutines.
func DepthwiseBackpropFilter(p DepthwiseParams, x, dy, dw []float32, threads int) {
	if len(x) != p.N*p.H*p.W*p.C || len(dy) != p.N*p.OH*p.OW*p.C || len(dw) != p.KH*p.KW*p.C {
		panic(fmt.Sprintf("simd: depthwise backprop buffers of %d, %d, %d values do not fit %+v", len(x), len(dy), len(dw), p))
	}
	if len(dw) == 0 {
		return
	}
	k := active.Load()
	zero := make([]float32, p.C)
	inf := float32(math.Inf(1))
	taps := p.KH * p.KW
	if threads < 1 || len(dy)*taps < 1<<16 {
		threads = 1
	}
	threads = min(threads, taps)
	do := func(t0, t1 int) {
		offs := make([]int, 0, 2*p.N*p.OH*p.OW)
		for t := t0; t < t1; t++ {
			ky, kx := t/p.KW, t%p.KW
			offs = offs[:0]
			for b := 0; b < p.N; b++ {
				for oy := 0; oy < p.OH; oy++ {
					iy := oy*p.StrideH - p.PadTop + ky*p.DilH
					if iy < 0 || iy >= p.H {
						continue
					}
					for ox := 0; ox < p.OW; ox++ {
						ix := ox*p.StrideW - p.PadLeft + kx*p.DilW
						if ix < 0 || ix >= p.W {
							continue
						}
						offs = append(offs, ((b*p.H+iy)*p.W+ix)*p.C, ((b*p.OH+oy)*p.OW+ox)*p.C)
					}
				}
			}
			out := dw[t*p.C : (t+1)*p.C]
			if len(offs) == 0 {
				clear(out)
				continue
			}
			n := len(offs) / 2
			k.dwRow[0](&out[0], &x[0], &dy[0], p.C, &offs[0], n, 1, 0, nil, &zero[0], -inf, inf)
			if d := k.done(p.C); d < p.C {
				goDwPixels(&out[0], &x[0], &dy[0], p.C, d, p.C, &offs[0], n, 1, 0, nil, &zero[0], -inf, inf, false)
			}
		}
	}
	if threads == 1 {
		do(0, taps)
		return
	}
	var wg sync.WaitGroup
	per := (taps + threads - 1) / threads
	for t0 := 0; t0 < taps; t0 += per {
		t1 := min(taps, t0+per)
		wg.Go(func() { do(t0, t1) })
	}
	wg.Wait()
}

// DepthwiseBackpropInput computes the gradient of a depthwise convolution
// (multiplier 1) with respect to its input, for stride 1: the depthwise
// convolution of dy with the flipped filter, padded by (K-1)*Dil - Pad.
// dx ([N, H, W, C]) is overwritten. It reports false, doing nothing, for
// strides other than 1 or paddings beyond the dilated filter size.
func DepthwiseBackpropInput(p DepthwiseParams, dy, w, dx []float32, threads int) bool {
	if p.StrideH != 1 || p.StrideW != 1 || p.PadTop > (p.KH-1)*p.DilH || p.PadLeft > (p.KW-1)*p.DilW || p.KH < 1 || p.KW < 1 {
		return false
	}
	flip := make([]float32, len(w))
	for ky := 0; ky < p.KH; ky++ {
		for kx := 0; kx < p.KW; kx++ {
			copy(flip[((p.KH-1-ky)*p.KW+(p.KW-1-kx))*p.C:][:p.C], w[(ky*p.KW+kx)*p.C:][:p.C])
		}
	}
	q := DepthwiseParams{N: p.N, H: p.OH, W: p.OW, C: p.C, KH: p.KH, KW: p.KW, StrideH: 1, StrideW: 1,
		DilH: p.DilH, DilW: p.DilW, PadTop: (p.KH-1)*p.DilH - p.PadTop, PadLeft: (p.KW-1)*p.DilW - p.PadLeft, OH: p.H, OW: p.W}
	inf := float32(math.Inf(1))
	Depthwise(q, dy, flip, dx, nil, nil, -inf, inf, threads)
	return true
}
