package elementwise

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// ctxCheckEvery is how many elements a loop processes between two checks
// for cancellation.
const ctxCheckEvery = 1 << 16

// bcast describes how some operands broadcast to an output shape. Output
// dims of size 1 are dropped and neighbouring dims are merged wherever
// every operand allows it, so that the innermost loop runs over the
// longest possible contiguous stretch.
type bcast struct {
	shape   []int   // the broadcast output shape
	n       int     // number of output elements
	dims    []int   // merged dims, at least one
	strides [][]int // strides[k][i]: step of operand k along merged dim i, 0 where it broadcasts
	// flat, when set, says the broadcast is one flat run (operands of the
	// output's shape, or single elements): flat[k] is operand k's step, 1
	// or 0. dims and strides are then unset.
	flat []int
}

// flatBcast recognizes the common cases that need no index arithmetic:
// operands that all have the same shape, or that are single elements of
// no higher rank than the others.
func flatBcast(shapes [][]int) *bcast {
	ref := shapes[0]
	for _, s := range shapes[1:] {
		if len(s) > len(ref) || (len(s) == len(ref) && numElems(s) > numElems(ref)) {
			ref = s
		}
	}
	flat := make([]int, len(shapes))
	for k, s := range shapes {
		switch {
		case slices.Equal(s, ref):
			flat[k] = 1
		case numElems(s) == 1 && len(s) <= len(ref):
			flat[k] = 0
		default:
			return nil
		}
	}
	n := numElems(ref)
	if n == 1 {
		for k := range flat {
			flat[k] = 1
		}
	}
	return &bcast{shape: ref, n: n, flat: flat}
}

// numElems returns the product of the dims (0 for a negative dim).
func numElems(s []int) int {
	n := 1
	for _, d := range s {
		if d < 0 {
			return 0
		}
		n *= d
	}
	return n
}

// shapeStr formats a shape like TensorFlow's errors do: [2,3].
func shapeStr(s []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, d)
	}
	b.WriteByte(']')
	return b.String()
}

// broadcastShape returns the broadcast of the shapes, or an error naming
// them all.
func broadcastShape(shapes ...[]int) ([]int, error) {
	out := append([]int{}, shapes[0]...)
	for _, s := range shapes[1:] {
		o, err := kernels.BroadcastShapes(out, s)
		if err != nil {
			parts := make([]string, len(shapes))
			for i, s := range shapes {
				parts[i] = shapeStr(s)
			}
			return nil, fmt.Errorf("%w: incompatible shapes: %s", kernels.ErrInvalidArgument, strings.Join(parts, " vs. "))
		}
		out = o
	}
	return out, nil
}

// newBcast plans the broadcast of the operand shapes.
func newBcast(shapes ...[]int) (*bcast, error) {
	if b := flatBcast(shapes); b != nil {
		return b, nil
	}
	out, err := broadcastShape(shapes...)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range out {
		n *= d
	}
	b := &bcast{shape: out, n: n}
	r := len(out)
	full := make([][]int, len(shapes))
	for k, s := range shapes {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			d := 1
			if j := i - (r - len(s)); j >= 0 {
				d = s[j]
			}
			if d != 1 {
				st[i] = acc
			}
			acc *= d
		}
		full[k] = st
	}
	b.strides = make([][]int, len(shapes))
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		if last := len(b.dims) - 1; last >= 0 {
			merge := true
			for k := range shapes {
				if (b.strides[k][last] == 0) != (full[k][i] == 0) {
					merge = false
					break
				}
			}
			if merge {
				b.dims[last] *= out[i]
				for k := range shapes {
					b.strides[k][last] = full[k][i]
				}
				continue
			}
		}
		b.dims = append(b.dims, out[i])
		for k := range shapes {
			b.strides[k] = append(b.strides[k], full[k][i])
		}
	}
	if len(b.dims) == 0 {
		b.dims = []int{1}
		for k := range shapes {
			b.strides[k] = []int{0}
		}
	}
	return b, nil
}

// steps returns each operand's step (0 or 1) along the runs that runs
// produces.
func (b *bcast) steps() []int {
	if b.flat != nil {
		return b.flat
	}
	m := len(b.dims) - 1
	s := make([]int, len(b.strides))
	for k := range b.strides {
		s[k] = b.strides[k][m]
		if b.dims[m] == 1 {
			s[k] = 1 // a single element: any step reads the same one
		}
	}
	return s
}

// runs calls fn for each contiguous run of the output, in order, with the
// output offset, the run length and each operand's offset; along a run,
// operand k advances by steps()[k]. It stops early with ctx's error when
// ctx is cancelled, or with fn's error.
func (b *bcast) runs(ctx context.Context, fn func(o, n int, offs []int) error) error {
	if b.n == 0 {
		return nil
	}
	if b.flat != nil {
		offs := make([]int, len(b.flat))
		for o := 0; o < b.n; o += ctxCheckEvery {
			for k, st := range b.flat {
				offs[k] = o * st
			}
			if err := fn(o, min(ctxCheckEvery, b.n-o), offs); err != nil {
				return err
			}
			if o+ctxCheckEvery < b.n {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	m := len(b.dims) - 1
	inner := b.dims[m]
	outer := b.dims[:m]
	coord := make([]int, m)
	offs := make([]int, len(b.strides))
	done := 0
	for o := 0; o < b.n; o += inner {
		if err := fn(o, inner, offs); err != nil {
			return err
		}
		for i := m - 1; i >= 0; i-- {
			coord[i]++
			for k := range offs {
				offs[k] += b.strides[k][i]
			}
			if coord[i] < outer[i] {
				break
			}
			for k := range offs {
				offs[k] -= b.strides[k][i] * coord[i]
			}
			coord[i] = 0
		}
		if done += inner; done >= ctxCheckEvery {
			done = 0
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// vecFns computes a binary function over slices: vv for two vectors of
// the same length, vs for a vector and a scalar, sv for a scalar and a
// vector. len(dst) is the length; the inputs are at least as long.
type vecFns[T, R any] struct {
	vv func(dst []R, x, y []T)
	vs func(dst []R, x []T, y T)
	sv func(dst []R, x T, y []T)
}

// fnCache memoizes the slice loops of each (op slot, dtype): building
// them allocates closures, which would otherwise cost a few allocations
// per kernel call. Binary ops use slots [0, 32), comparisons [32, 64).
var fnCache [64][32]atomic.Value

const cmpSlot = 32

// The binary ops must fit below cmpSlot.
var _ = [cmpSlot - int(bRecipGrad) - 1]struct{}{}

// cachedFns returns the loops for (slot, d), building them with build the
// first time. It returns nil when build does.
func cachedFns[T, R any](slot int, d tensor.DType, build func() *vecFns[T, R]) *vecFns[T, R] {
	if slot < 0 || slot >= len(fnCache) || d < 0 || int(d) >= len(fnCache[0]) {
		return build()
	}
	c := &fnCache[slot][d]
	if v := c.Load(); v != nil {
		return v.(*vecFns[T, R])
	}
	f := build()
	if f != nil {
		c.Store(f)
	}
	return f
}

// fromScalar builds slice loops from an elementwise function.
func fromScalar[T, R any](f func(x, y T) R) *vecFns[T, R] {
	return &vecFns[T, R]{
		vv: func(dst []R, x, y []T) {
			x, y = x[:len(dst)], y[:len(dst)]
			for i := range dst {
				dst[i] = f(x[i], y[i])
			}
		},
		vs: func(dst []R, x []T, y T) {
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = f(x[i], y)
			}
		},
		sv: func(dst []R, x T, y []T) {
			y = y[:len(dst)]
			for i := range dst {
				dst[i] = f(x, y[i])
			}
		},
	}
}

// binaryApply computes out = f(x, y) under the broadcast b (of two
// operands).
func binaryApply[T, R any](ctx context.Context, b *bcast, x, y []T, f *vecFns[T, R]) ([]R, error) {
	var out []R
	if o, ok := any(&out).(*[]float32); ok {
		*o = kernels.Make[float32](ctx, b.n) // recycled by the runtime
	} else {
		out = make([]R, b.n)
	}
	s := b.steps()
	sx, sy := s[0], s[1]
	if b.flat != nil {
		// One flat run, in chunks; no offsets to track.
		for o := 0; o < b.n; o += ctxCheckEvery {
			n := min(ctxCheckEvery, b.n-o)
			dst := out[o : o+n]
			switch {
			case sx != 0 && sy != 0:
				f.vv(dst, x[o:o+n], y[o:o+n])
			case sy != 0:
				f.sv(dst, x[0], y[o:o+n])
			case sx != 0:
				f.vs(dst, x[o:o+n], y[0])
			}
			if o+n < b.n {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
		}
		return out, nil
	}
	err := b.runs(ctx, func(o, n int, offs []int) error {
		dst := out[o : o+n]
		ox, oy := offs[0], offs[1]
		switch {
		case sx == 0 && sy == 0: // only for n == 1 in practice
			f.vs(dst[:1], x[ox:ox+1], y[oy])
			for i := 1; i < len(dst); i++ {
				dst[i] = dst[0]
			}
		case sx != 0 && sy != 0:
			f.vv(dst, x[ox:ox+n], y[oy:oy+n])
		case sy == 0:
			f.vs(dst, x[ox:ox+n], y[oy])
		default:
			f.sv(dst, x[ox], y[oy:oy+n])
		}
		return nil
	})
	return out, err
}
