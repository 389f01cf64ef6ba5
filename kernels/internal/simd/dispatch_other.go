//go:build !amd64 || noasm || purego

package simd

func asmImpls() []*impl { return nil }
