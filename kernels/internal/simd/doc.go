// Package simd holds the vectorized float32 loops of the kernels:
// elementwise arithmetic, the bias / batch-norm / activation epilogue of
// fused ops, int32 to float32 conversion, and the depthwise convolution.
//
// Each routine has an AVX-512 version, an AVX2+FMA version (both Go
// assembly generated with avo, see _asmgen) and a pure-Go version. The
// fastest path the CPU supports is chosen at start-up; the environment
// variable TFHUB_GEMM (avx512, avx2 or purego, shared with package gemm)
// forces one, and SetPath does it in tests. Builds with the noasm or
// purego tag, and other architectures, have the pure-Go path only. All
// paths give the same results up to float rounding (the assembly uses
// fused multiply-adds where noted).
package simd

//go:generate go run -C _asmgen . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg simd
