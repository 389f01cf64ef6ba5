//go:build amd64 && !noasm && !purego

package simd

import "golang.org/x/sys/cpu"

var avx2Impl = &impl{
	name: "avx2", lanes: 8,
	binary:    [5]func(dst, a, b *float32, n int){addAVX2, subAVX2, mulAVX2, divAVX2, maxAVX2},
	scalar:    [6]func(dst, a *float32, n int, s float32){addScalarAVX2, subScalarAVX2, mulScalarAVX2, divScalarAVX2, scalarSubAVX2, scalarDivAVX2},
	clamp:     clampAVX2,
	cvtInt32:  cvtInt32AVX2,
	biasClamp: [2]func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32){biasClampAVX2, scaleBiasClampAVX2},
	dwRow:     [2]func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32){dwRowAVX2, dwRowScaleAVX2},
	adam:      adamAVX2,
	unary:     [3]func(dst, a *float32, n int){expAVX2, sigmoidAVX2, tanhAVX2},
}

var avx512Impl = &impl{
	name: "avx512", lanes: 16, masked: true,
	binary:    [5]func(dst, a, b *float32, n int){addAVX512, subAVX512, mulAVX512, divAVX512, maxAVX512},
	scalar:    [6]func(dst, a *float32, n int, s float32){addScalarAVX512, subScalarAVX512, mulScalarAVX512, divScalarAVX512, scalarSubAVX512, scalarDivAVX512},
	clamp:     clampAVX512,
	cvtInt32:  cvtInt32AVX512,
	biasClamp: [2]func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32){biasClampAVX512, scaleBiasClampAVX512},
	dwRow:     [2]func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32){dwRowAVX512, dwRowScaleAVX512},
	adam:      adamAVX512,
	unary:     [3]func(dst, a *float32, n int){expAVX512, sigmoidAVX512, tanhAVX512},
}

// asmImpls returns the assembly paths the CPU supports, fastest first.
func asmImpls() []*impl {
	var ks []*impl
	if cpu.X86.HasAVX512F && cpu.X86.HasBMI2 {
		ks = append(ks, avx512Impl)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Impl)
	}
	return ks
}
