package keras

import (
	"fmt"
	"sync"

	"github.com/tfhub-go/tfhub/tensor"
)

// pick copies rows idx (of row elements each) of data.
func pick[T any](data []T, row int, idx []int) []T {
	out := make([]T, 0, len(idx)*row)
	for _, i := range idx {
		out = append(out, data[i*row:(i+1)*row]...)
	}
	return out
}

// rowSize returns the number of elements per example of t.
func rowSize(t *tensor.Tensor) int {
	n := 1
	for _, d := range t.Shape()[1:] {
		n *= d
	}
	return n
}

// gatherRows returns the examples idx of t (first dim) as a new tensor.
func gatherRows(t *tensor.Tensor, idx []int) (*tensor.Tensor, error) {
	shape := append([]int{len(idx)}, t.Shape()[1:]...)
	row := rowSize(t)
	n := t.Dim(0)
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("%w: example %d of %d", ErrInvalid, i, n)
		}
	}
	switch d := t.Data().(type) {
	case []float32:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []float64:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []int8:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []int16:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []int32:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []int64:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []uint8:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []uint16:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []uint32:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []uint64:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []bool:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []string:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []tensor.F16:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []tensor.BF16:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []complex64:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	case []complex128:
		return tensor.FromSlice(pick(d, row, idx), shape...)
	}
	return nil, fmt.Errorf("%w: cannot batch %v data", ErrInvalid, t.DType())
}

// span returns the indices lo..hi-1.
func span(lo, hi int) []int {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}

// concatRows joins batches along the first dim.
func concatRows(parts []*tensor.Tensor) (*tensor.Tensor, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no data", ErrInvalid)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	n := 0
	for _, p := range parts {
		n += p.Dim(0)
	}
	shape := append([]int{n}, parts[0].Shape()[1:]...)
	switch parts[0].Data().(type) {
	case []float32:
		return joinAs[float32](parts, shape)
	case []float64:
		return joinAs[float64](parts, shape)
	case []int32:
		return joinAs[int32](parts, shape)
	case []int64:
		return joinAs[int64](parts, shape)
	case []uint8:
		return joinAs[uint8](parts, shape)
	case []bool:
		return joinAs[bool](parts, shape)
	case []string:
		return joinAs[string](parts, shape)
	}
	return nil, fmt.Errorf("%w: cannot join %v predictions", ErrInvalid, parts[0].DType())
}

func joinAs[T tensor.Element](parts []*tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	var out []T
	for _, p := range parts {
		d, ok := p.Data().([]T)
		if !ok {
			return nil, fmt.Errorf("%w: batches of different dtypes", ErrInvalid)
		}
		out = append(out, d...)
	}
	return tensor.FromSlice(out, shape...)
}

// checkData checks x against the model input and casts it to the input's
// dtype.
func (m *Functional) checkX(x *tensor.Tensor) (*tensor.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: nil input data", ErrInvalid)
	}
	want := m.input.shape
	got := x.Shape()
	if len(got) != len(want) {
		return nil, fmt.Errorf("%w: input data of shape %v for model input %s", ErrInvalid, got, shapeString(want))
	}
	for i := 1; i < len(want); i++ {
		if want[i] >= 0 && got[i] != want[i] {
			return nil, fmt.Errorf("%w: input data of shape %v for model input %s", ErrInvalid, got, shapeString(want))
		}
	}
	if x.DType() != m.input.dtype {
		c, err := x.Cast(m.input.dtype)
		if err != nil {
			return nil, fmt.Errorf("%w: casting input data from %v to %v: %v", ErrInvalid, x.DType(), m.input.dtype, err)
		}
		x = c
	}
	return x, nil
}

// checkY checks labels against x and casts them to the loss's label dtype.
func (m *Functional) checkY(x, y *tensor.Tensor) (*tensor.Tensor, error) {
	if y == nil {
		return nil, fmt.Errorf("%w: nil labels", ErrInvalid)
	}
	if y.Rank() == 0 || y.Dim(0) != x.Dim(0) {
		return nil, fmt.Errorf("%w: %d labels (shape %v) for %d examples", ErrInvalid, y.Dim(0), y.Shape(), x.Dim(0))
	}
	dt := m.loss.labelDType(m.output.dtype)
	if y.DType() != dt {
		c, err := y.Cast(dt)
		if err != nil {
			return nil, fmt.Errorf("%w: casting labels from %v to %v: %v", ErrInvalid, y.DType(), dt, err)
		}
		y = c
	}
	return y, nil
}

// batchBuffers recycles the memory of the batches that Fit feeds to
// training steps: a session keeps no reference to its feeds after Run,
// so each step may overwrite the previous step's batch. This saves the
// allocation and clearing of every batch.
type batchBuffers map[tensor.DType]any

// gather is gatherRows writing into a recycled buffer for the common
// dtypes.
func (b batchBuffers) gather(t *tensor.Tensor, idx []int) (*tensor.Tensor, error) {
	switch t.DType() {
	case tensor.Float32:
		return gatherReuse[float32](b, t, idx)
	case tensor.Float64:
		return gatherReuse[float64](b, t, idx)
	case tensor.Int32:
		return gatherReuse[int32](b, t, idx)
	case tensor.Int64:
		return gatherReuse[int64](b, t, idx)
	case tensor.Uint8:
		return gatherReuse[uint8](b, t, idx)
	}
	return gatherRows(t, idx)
}

func gatherReuse[T tensor.Element](b batchBuffers, t *tensor.Tensor, idx []int) (*tensor.Tensor, error) {
	row, n := rowSize(t), t.Dim(0)
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("%w: example %d of %d", ErrInvalid, i, n)
		}
	}
	buf, _ := b[t.DType()].([]T)
	if cap(buf) < len(idx)*row {
		buf = make([]T, len(idx)*row)
	}
	buf = buf[:len(idx)*row]
	b[t.DType()] = buf
	data := tensor.Values[T](t)
	for k, i := range idx {
		copy(buf[k*row:(k+1)*row], data[i*row:(i+1)*row])
	}
	return tensor.FromSlice(buf, append([]int{len(idx)}, t.Shape()[1:]...)...)
}

// batch is one prefetched training batch.
type batch struct {
	x, y *tensor.Tensor
	err  error
}

// prefetchBatches gathers the batches of one epoch (order cut in batches
// of size) in a goroutine, one batch ahead of the training steps, as
// tf.data's prefetch does: gathering the next batch overlaps with the
// current step. The batches rotate through three pairs of buffers, so
// that the one being filled is never the one a step uses (the channel
// holds one ready batch). stop ends the goroutine and waits for it; it
// must be called before the buffers are used again.
func prefetchBatches(x, y *tensor.Tensor, order []int, size, steps int, bufs *[3][2]batchBuffers) (<-chan batch, func()) {
	for i := range bufs {
		for j := range bufs[i] {
			if bufs[i][j] == nil {
				bufs[i][j] = batchBuffers{}
			}
		}
	}
	ch := make(chan batch, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for s := 0; s < steps; s++ {
			idx := order[s*size : min((s+1)*size, len(order))]
			var b batch
			b.x, b.err = bufs[s%3][0].gather(x, idx)
			if b.err == nil {
				b.y, b.err = bufs[s%3][1].gather(y, idx)
			}
			select {
			case ch <- b:
			case <-done:
				return
			}
			if b.err != nil {
				return
			}
		}
	})
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}
