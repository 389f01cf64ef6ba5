package kernels

import (
	"context"

	"github.com/tfhub-go/tfhub/tensor"
)

// Allocator hands out float32 buffers for kernel outputs. The runtime
// gives each execution one (through the context.Context of its kernels)
// that recycles the buffers of dead tensors, so that a steady state of
// calls reuses the same, cache-warm memory instead of allocating and
// clearing fresh pages for every output.
type Allocator interface {
	// Float32s returns n zeroed float32s.
	Float32s(n int) []float32
}

type allocatorKey struct{}

// WithAllocator returns a context whose kernels allocate their float32
// outputs from a.
func WithAllocator(ctx context.Context, a Allocator) context.Context {
	return context.WithValue(ctx, allocatorKey{}, a)
}

// Make returns n zeroed elements of T for a kernel output: from the
// context's Allocator for float32, else from the Go heap. Use it only for
// buffers that become an output tensor as a whole (the runtime recycles
// them once the tensor is dead, and must see them as the start of that
// tensor's data).
func Make[T tensor.Element](ctx context.Context, n int) []T {
	var zero T
	if _, ok := any(zero).(float32); ok && ctx != nil && n > 0 {
		if a, ok := ctx.Value(allocatorKey{}).(Allocator); ok {
			return any(a.Float32s(n)).([]T)
		}
	}
	return make([]T, n)
}
