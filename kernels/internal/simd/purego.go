package simd

import (
	"math"
	"unsafe"
)

// goImpl is the pure-Go path; it processes every element.
var goImpl = &impl{
	name: "purego", lanes: 1, masked: true,
	binary: [5]func(dst, a, b *float32, n int){
		goBinary(func(x, y float32) float32 { return x + y }),
		goBinary(func(x, y float32) float32 { return x - y }),
		goBinary(func(x, y float32) float32 { return x * y }),
		goBinary(func(x, y float32) float32 { return x / y }),
		goBinary(func(x, y float32) float32 {
			if x < y {
				return y
			}
			return x
		}),
	},
	scalar: [6]func(dst, a *float32, n int, s float32){
		goScalar(func(x, s float32) float32 { return x + s }),
		goScalar(func(x, s float32) float32 { return x - s }),
		goScalar(func(x, s float32) float32 { return x * s }),
		goScalar(func(x, s float32) float32 { return x / s }),
		goScalar(func(x, s float32) float32 { return s - x }),
		goScalar(func(x, s float32) float32 { return s / x }),
	},
	clamp:     goClamp,
	cvtInt32:  goCvtInt32,
	biasClamp: [2]func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32){goBiasClamp(false), goBiasClamp(true)},
	dwRow:     [2]func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32){goDwRow(false), goDwRow(true)},
	adam:      goAdam,
	unary: [3]func(dst, a *float32, n int){
		goUnary(func(v float32) float32 { return float32(math.Exp(float64(v))) }),
		goUnary(func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }),
		goUnary(func(v float32) float32 { return float32(math.Tanh(float64(v))) }),
	},
}

func goUnary(f func(float32) float32) func(dst, a *float32, n int) {
	return func(dst, a *float32, n int) {
		d, x := unsafe.Slice(dst, n), unsafe.Slice(a, n)
		for i, v := range x {
			d[i] = f(v)
		}
	}
}

func goAdam(wOut, mOut, vOut, w, m, v, g *float32, n int, c1, c2, alpha, eps float32) {
	wo, mo, vo := unsafe.Slice(wOut, n), unsafe.Slice(mOut, n), unsafe.Slice(vOut, n)
	ws, ms, vs, gs := unsafe.Slice(w, n), unsafe.Slice(m, n), unsafe.Slice(v, n), unsafe.Slice(g, n)
	for i := range wo {
		gi := gs[i]
		mi := ms[i] + (gi-ms[i])*c1
		vi := vs[i] + (gi*gi-vs[i])*c2
		den := float32(math.Sqrt(float64(vi))) + eps
		wo[i], mo[i], vo[i] = ws[i]-(mi*alpha)/den, mi, vi
	}
}

func goBinary(f func(x, y float32) float32) func(dst, a, b *float32, n int) {
	return func(dst, a, b *float32, n int) {
		d, x, y := unsafe.Slice(dst, n), unsafe.Slice(a, n), unsafe.Slice(b, n)
		for i := range d {
			d[i] = f(x[i], y[i])
		}
	}
}

func goScalar(f func(x, s float32) float32) func(dst, a *float32, n int, s float32) {
	return func(dst, a *float32, n int, s float32) {
		d, x := unsafe.Slice(dst, n), unsafe.Slice(a, n)
		for i := range d {
			d[i] = f(x[i], s)
		}
	}
}

// clamp1 is the scalar clamp: NaN stays NaN.
func clamp1(v, lo, hi float32) float32 {
	if v != v {
		return v // NaN
	}
	return min(max(v, lo), hi)
}

func goClamp(dst, a *float32, n int, lo, hi float32) {
	d, x := unsafe.Slice(dst, n), unsafe.Slice(a, n)
	for i, v := range x {
		d[i] = clamp1(v, lo, hi)
	}
}

func goCvtInt32(dst, a *float32, n int) {
	d, x := unsafe.Slice(dst, n), unsafe.Slice((*int32)(unsafe.Pointer(a)), n)
	for i, v := range x {
		d[i] = float32(v)
	}
}

func goBiasClamp(scaled bool) func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32) {
	return func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32) {
		if rows == 0 || ch == 0 {
			return
		}
		ys, b := unsafe.Slice(y, rows*ch), unsafe.Slice(bias, ch)
		var s []float32
		if scaled {
			s = unsafe.Slice(scale, ch)
		}
		for r := 0; r < rows; r++ {
			row := ys[r*ch : (r+1)*ch : (r+1)*ch]
			if scaled {
				for c := range row {
					row[c] = clamp1(row[c]*s[c]+b[c], lo, hi)
				}
				continue
			}
			for c := range row {
				row[c] = clamp1(row[c]+b[c], lo, hi)
			}
		}
	}
}

func goDwRow(scaled bool) func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32) {
	return func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32) {
		goDwPixels(out, x, w, ch, 0, ch, offs, ntaps, npix, xstep, scale, bias, lo, hi, scaled)
	}
}

// goDwPixels computes channels [c0, c1) of npix depthwise pixels (see
// dwRow), eight channels at a time in registers.
func goDwPixels(out, x, w *float32, ch, c0, c1 int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32, scaled bool) {
	if npix == 0 || c0 >= c1 {
		return
	}
	taps := unsafe.Slice(offs, 2*ntaps)
	maxX := 0
	maxW := 0
	for t := 0; t < ntaps; t++ {
		maxX = max(maxX, taps[2*t])
		maxW = max(maxW, taps[2*t+1])
	}
	xs := unsafe.Slice(x, (npix-1)*xstep+maxX+ch)
	ws := unsafe.Slice(w, maxW+ch)
	os := unsafe.Slice(out, npix*ch)
	b := unsafe.Slice(bias, ch)
	var s []float32
	if scaled {
		s = unsafe.Slice(scale, ch)
	}
	// Tap offsets as pairs, and the pixel's input and output windows as
	// slices, so that the inner loops index without recomputing bounds.
	pairs := make([][2]int, ntaps)
	for t := range pairs {
		pairs[t] = [2]int{taps[2*t], taps[2*t+1]}
	}
	for p := 0; p < npix; p++ {
		o := os[p*ch : (p+1)*ch]
		xp := xs[p*xstep:]
		c := c0
		for ; c+8 <= c1; c += 8 {
			var a0, a1, a2, a3, a4, a5, a6, a7 float32
			for _, t := range pairs {
				xi := xp[t[0]+c : t[0]+c+8 : t[0]+c+8]
				wi := ws[t[1]+c : t[1]+c+8 : t[1]+c+8]
				a0 += xi[0] * wi[0]
				a1 += xi[1] * wi[1]
				a2 += xi[2] * wi[2]
				a3 += xi[3] * wi[3]
				a4 += xi[4] * wi[4]
				a5 += xi[5] * wi[5]
				a6 += xi[6] * wi[6]
				a7 += xi[7] * wi[7]
			}
			oo := o[c : c+8 : c+8]
			oo[0], oo[1], oo[2], oo[3], oo[4], oo[5], oo[6], oo[7] = a0, a1, a2, a3, a4, a5, a6, a7
			if scaled {
				for j := range oo {
					oo[j] *= s[c+j]
				}
			}
			for j := range oo {
				oo[j] = clamp1(oo[j]+b[c+j], lo, hi)
			}
		}
		for ; c < c1; c++ {
			var a float32
			for _, t := range pairs {
				a += xp[t[0]+c] * ws[t[1]+c]
			}
			if scaled {
				a *= s[c]
			}
			o[c] = clamp1(a+b[c], lo, hi)
		}
	}
}
