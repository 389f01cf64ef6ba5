package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/tfhub-go/tfhub/kernels/internal/gemm"
	"github.com/tfhub-go/tfhub/tensor"
)

// filterCache holds the GEMM-packed copy of float32 filter tensors, by
// tensor identity (weakly: an entry goes away with its tensor). Tensors
// never change once made, and a model's weights are the same tensor at
// every call (cached constants, variable values until an update makes a
// new tensor), so a convolution packs its weights once instead of at
// every call. The cost is a packed copy of each filter in memory, at most
// filterCacheMax bytes in all.
var filterCache sync.Map // weak.Pointer[tensor.Tensor] -> *gemm.PackedB

// filterCacheMin is the smallest filter (k*n elements) worth caching:
// packing a tiny one costs less than a map lookup.
const filterCacheMin = 256

// filterCacheMax bounds the memory of the packed copies (bytes); beyond
// it, filters are packed at every call as without the cache.
const filterCacheMax = 1 << 30

var filterCacheBytes atomic.Int64

// packedFilter returns filter f ([k, n] as a matrix) packed for the active
// GEMM path, from the cache or packed now.
func packedFilter(f *tensor.Tensor, k, n int) *gemm.PackedB {
	if f.DType() != tensor.Float32 || k*n < filterCacheMin || f.NumElements() != k*n {
		return nil
	}
	key := weak.Make(f)
	if v, ok := filterCache.Load(key); ok {
		if pb := v.(*gemm.PackedB); pb.Current() {
			return pb
		}
	}
	size := int64(4 * k * n)
	if filterCacheBytes.Load()+size > filterCacheMax {
		return nil
	}
	pb := gemm.PackB(false, k, n, f.Float32s(), n)
	if _, loaded := filterCache.Swap(key, pb); !loaded {
		filterCacheBytes.Add(int64(pb.Bytes()))
		bytes := int64(pb.Bytes())
		runtime.AddCleanup(f, func(k weak.Pointer[tensor.Tensor]) {
			filterCache.Delete(k)
			filterCacheBytes.Add(-bytes)
		}, key)
	}
	return pb
}
