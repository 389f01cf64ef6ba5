package nn

import (
	"math"
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

func init() {
	reg("Softmax", softmax(false))
	reg("LogSoftmax", softmax(true))
	reg("SoftmaxCrossEntropyWithLogits", softmaxXent, "loss", "backprop")
	reg("SparseSoftmaxCrossEntropyWithLogits", sparseSoftmaxXent, "loss", "backprop")
}

// softmax normalizes the last axis: exp(x - max) / sum, or for LogSoftmax
// x - max - log(sum exp(x - max)).
func softmax(logOut bool) kernels.Func {
	op := "Softmax"
	if logOut {
		op = "LogSoftmax"
	}
	return func(c *kernels.Context) error {
		if err := need(c, 1); err != nil {
			return err
		}
		x := c.Input(0)
		if err := checkFloat(c, op, x); err != nil {
			return err
		}
		if x.Rank() < 1 {
			return c.Errorf("%s: logits must have >= 1 dimension, got shape %s", op, shapeStr(x.Shape()))
		}
		ws, err := widen(x)
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		n := x.Dim(-1)
		var out *tensor.Tensor
		if ws[0].DType() == tensor.Float64 {
			out, err = mapT(ws[0], func(in, o []float64) { softmaxRows(in, o, n, logOut) })
		} else {
			out, err = mapT(ws[0], func(in, o []float32) { softmaxRows(in, o, n, logOut) })
		}
		if err != nil {
			return c.Errorf("%s: %v", op, err)
		}
		return setOut(c, 0, out, x.DType())
	}
}

// softmaxRows normalizes each row of n elements; sums are in float64.
func softmaxRows[T floatT](in, out []T, n int, logOut bool) {
	if n == 0 {
		return
	}
	for r := 0; r+n <= len(in); r += n {
		row, o := in[r:r+n], out[r:r+n]
		mx := row[0]
		for _, v := range row[1:] {
			if v > mx {
				mx = v
			}
		}
		m := float64(mx)
		if rf, ok := any(row).([]float32); ok && !logOut && simd.Path() != "purego" {
			// exp(x - max) vectorized (within 2 ulp of float64 math).
			of := any(o).([]float32)
			simd.SubScalar(of, rf, mx32(mx))
			simd.Exp(of, of)
			var sum float64
			for _, e := range of {
				sum += float64(e)
			}
			inv := 1 / sum
			for i, e := range of {
				of[i] = float32(float64(e) * inv)
			}
			continue
		}
		var sum float64
		for i, v := range row {
			e := math.Exp(float64(v) - m)
			if !logOut {
				o[i] = T(e)
			}
			sum += e
		}
		if logOut {
			ls := math.Log(sum)
			for i, v := range row {
				o[i] = T(float64(v) - m - ls)
			}
			continue
		}
		inv := 1 / sum
		for i := range o {
			o[i] = T(float64(o[i]) * inv)
		}
	}
}

// softmaxXent computes, per row of logits and a probability distribution
// of labels (broadcast to a common 2-D shape), the loss
// sum(labels * -log_softmax(logits)) and its gradient
// softmax(logits) - labels.
func softmaxXent(c *kernels.Context) error {
	const op = "SoftmaxCrossEntropyWithLogits"
	if err := need(c, 2); err != nil {
		return err
	}
	f, l := c.Input(0), c.Input(1)
	if err := checkFloat(c, op, f, l); err != nil {
		return err
	}
	shape := f.Shape()
	if !slices.Equal(f.Shape(), l.Shape()) {
		s, err := kernels.BroadcastShapes(f.Shape(), l.Shape())
		if err != nil {
			return c.Errorf("%s: logits and labels must be broadcastable: logits_size=%s labels_size=%s", op, shapeStr(f.Shape()), shapeStr(l.Shape()))
		}
		shape = s
	}
	if len(shape) != 2 {
		return c.Errorf("%s: logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional, got %s and %s", op, shapeStr(f.Shape()), shapeStr(l.Shape()))
	}
	ws, err := widen(f, l)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	fi := kernels.BroadcastIndex(f.Shape(), shape)
	li := kernels.BroadcastIndex(l.Shape(), shape)
	var loss, back *tensor.Tensor
	if ws[0].DType() == tensor.Float64 {
		loss, back, err = xentRows[float64](c, ws[0], ws[1], fi, li, shape)
	} else {
		loss, back, err = xentRows[float32](c, ws[0], ws[1], fi, li, shape)
	}
	if err != nil {
		return err
	}
	if err := setOut(c, 0, loss, f.DType()); err != nil {
		return err
	}
	return setOut(c, 1, back, f.DType())
}

func xentRows[T floatT](c *kernels.Context, ft, lt *tensor.Tensor, fi, li, shape []int) (*tensor.Tensor, *tensor.Tensor, error) {
	b, n := shape[0], shape[1]
	logits, labels := tensor.Values[T](ft), tensor.Values[T](lt)
	back, err := alloc[T](c, shape)
	if err != nil {
		return nil, nil, err
	}
	loss := make([]T, b)
	at := func(v []T, idx []int, i int) T {
		if idx != nil {
			return v[idx[i]]
		}
		return v[i]
	}
	for r := 0; r < b; r++ {
		if n == 0 {
			continue
		}
		mx := at(logits, fi, r*n)
		for j := 1; j < n; j++ {
			if v := at(logits, fi, r*n+j); v > mx {
				mx = v
			}
		}
		m := float64(mx)
		var sum float64
		for j := 0; j < n; j++ {
			sum += math.Exp(float64(at(logits, fi, r*n+j)) - m)
		}
		ls := math.Log(sum)
		var l float64
		for j := 0; j < n; j++ {
			shifted := float64(at(logits, fi, r*n+j)) - m
			y := float64(at(labels, li, r*n+j))
			l += y * (ls - shifted)
			back[r*n+j] = T(math.Exp(shifted)/sum - y)
		}
		loss[r] = T(l)
	}
	lt2, err := tensor.FromSlice(loss, b)
	if err != nil {
		return nil, nil, err
	}
	bt, err := tensor.FromSlice(back, shape...)
	return lt2, bt, err
}

// sparseSoftmaxXent is softmaxXent with the labels given as class
// indices; a label outside [0, classes) is an error, as on TF's CPU.
func sparseSoftmaxXent(c *kernels.Context) error {
	const op = "SparseSoftmaxCrossEntropyWithLogits"
	if err := need(c, 2); err != nil {
		return err
	}
	f, l := c.Input(0), c.Input(1)
	if err := checkFloat(c, op, f); err != nil {
		return err
	}
	if f.Rank() != 2 {
		return c.Errorf("%s: logits must be 2-D, but got shape %s", op, shapeStr(f.Shape()))
	}
	if l.Rank() != 1 {
		return c.Errorf("%s: labels must be 1-D, but got shape %s", op, shapeStr(l.Shape()))
	}
	if l.DType() != tensor.Int32 && l.DType() != tensor.Int64 {
		return c.Errorf("%s: labels must be int32 or int64, got %v", op, l.DType())
	}
	b, n := f.Dim(0), f.Dim(1)
	if l.Dim(0) != b {
		return c.Errorf("%s: logits and labels must have the same first dimension, got logits shape %s and labels shape %s", op, shapeStr(f.Shape()), shapeStr(l.Shape()))
	}
	if n == 0 && b > 0 {
		return c.Errorf("%s: must have at least one class, but got logits shape %s", op, shapeStr(f.Shape()))
	}
	labels, err := kernels.IntsOf(l)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	for i, y := range labels {
		if y < 0 || y >= n {
			return c.Errorf("%s: received a label value of %d (at index %d) which is outside the valid range of [0, %d)", op, y, i, n)
		}
	}
	ws, err := widen(f)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	var loss, back *tensor.Tensor
	if ws[0].DType() == tensor.Float64 {
		loss, back, err = sparseXentRows[float64](ws[0], labels, b, n)
	} else {
		loss, back, err = sparseXentRows[float32](ws[0], labels, b, n)
	}
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	if err := setOut(c, 0, loss, f.DType()); err != nil {
		return err
	}
	return setOut(c, 1, back, f.DType())
}

func sparseXentRows[T floatT](ft *tensor.Tensor, labels []int, b, n int) (*tensor.Tensor, *tensor.Tensor, error) {
	logits := tensor.Values[T](ft)
	back := make([]T, b*n)
	loss := make([]T, b)
	for r := 0; r < b; r++ {
		row, o := logits[r*n:(r+1)*n], back[r*n:(r+1)*n]
		mx := row[0]
		for _, v := range row[1:] {
			if v > mx {
				mx = v
			}
		}
		m := float64(mx)
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - m)
		}
		ls := math.Log(sum)
		y := labels[r]
		loss[r] = T(ls - (float64(row[y]) - m))
		for j, v := range row {
			p := math.Exp(float64(v)-m) / sum
			if j == y {
				p--
			}
			o[j] = T(p)
		}
	}
	lt, err := tensor.FromSlice(loss, b)
	if err != nil {
		return nil, nil, err
	}
	bt, err := tensor.FromSlice(back, b, n)
	return lt, bt, err
}

// mx32 returns a row maximum as float32 (it is one, for float32 rows).
func mx32[T floatT](v T) float32 { return float32(v) }
