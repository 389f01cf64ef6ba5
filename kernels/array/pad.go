package array

import (
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// Padding: Pad, PadV2, MirrorPad and MirrorPadGrad.

func init() {
	reg("Pad", padOp(false))
	reg("PadV2", padOp(true))
	reg("MirrorPad", mirrorPad)
	reg("MirrorPadGrad", mirrorPadGrad)
}

// readPaddings reads a [rank, 2] paddings tensor of non-negative values.
func readPaddings(c *kernels.Context, t *tensor.Tensor, rank int, name string) (before, after []int, err error) {
	if t.Rank() != 2 || t.Dim(1) != 2 {
		return nil, nil, c.Errorf("%s must be a matrix with 2 columns: %s", name, shapeStr(t.Shape()))
	}
	if t.Dim(0) != rank {
		return nil, nil, c.Errorf("The first dimension of %s must be the rank of inputs%s, but got %d", name, shapeStr(t.Shape()), rank)
	}
	v, err := intsOf(c, t, name)
	if err != nil {
		return nil, nil, err
	}
	before, after = make([]int, rank), make([]int, rank)
	for i := 0; i < rank; i++ {
		before[i], after[i] = v[2*i], v[2*i+1]
		if before[i] < 0 || after[i] < 0 {
			return nil, nil, c.Errorf("Paddings must be non-negative: %d %d", before[i], after[i])
		}
	}
	return before, after, nil
}

// paddedShape returns dims grown by the paddings, checking for overflow.
func paddedShape(c *kernels.Context, dims, before, after []int) ([]int, error) {
	out := make([]int, len(dims))
	for i, d := range dims {
		s := d + before[i] + after[i]
		if s < d {
			return nil, c.Errorf("padded dimension %d overflows", i)
		}
		out[i] = s
	}
	if _, err := mulShape(c, out...); err != nil {
		return nil, err
	}
	return out, nil
}

func padOp(v2 bool) kernels.Func {
	return func(c *kernels.Context) error {
		n := 2
		if v2 {
			n = 3
		}
		if err := need(c, n); err != nil {
			return err
		}
		in := c.Input(0)
		before, after, err := readPaddings(c, c.Input(1), in.Rank(), "paddings")
		if err != nil {
			return err
		}
		var pad elems // nil: the output is allocated zeroed already
		if v2 {
			cv := c.Input(2)
			if cv.Rank() != 0 {
				return c.Errorf("constant_values must be a scalar. Got: %s", shapeStr(cv.Shape()))
			}
			if cv.DType() != in.DType() {
				return c.Errorf("constant_values has dtype %v, expected %v", cv.DType(), in.DType())
			}
			pad = mustElems(cv)
		}
		out, err := padConstant(c, in, before, after, pad)
		if err != nil {
			return err
		}
		c.SetOutput(0, out)
		return nil
	}
}

// padConstant pads in with the one-element pad value.
func padConstant(c *kernels.Context, in *tensor.Tensor, before, after []int, pad elems) (*tensor.Tensor, error) {
	shape, err := paddedShape(c, in.Shape(), before, after)
	if err != nil {
		return nil, err
	}
	if slices.Equal(shape, in.Shape()) {
		return in, nil
	}
	out, dst, err := alloc(c, in.DType(), shape)
	if err != nil {
		return nil, err
	}
	if pad != nil {
		dst.move(0, 1, pad, 0, 0, dst.Len())
	}
	ost := stridesOf(shape)
	off := 0
	for i, b := range before {
		off += b * ost[i]
	}
	if err := copyStrided(c.Ctx(), dst, off, ost, mustElems(in), 0, stridesOf(in.Shape()), in.Shape()); err != nil {
		return nil, err
	}
	return out, nil
}

// mirrorOffset reads MirrorPad's mode: 1 for REFLECT (the edge is not
// repeated), 0 for SYMMETRIC.
func mirrorOffset(c *kernels.Context) (int, error) {
	mode, err := c.AttrString("mode", "")
	if err != nil {
		return 0, err
	}
	switch mode {
	case "REFLECT":
		return 1, nil
	case "SYMMETRIC":
		return 0, nil
	}
	return 0, c.Errorf("mode must be either REFLECT or SYMMETRIC, got %q", mode)
}

// mirrorMap maps each position of a padded axis to the source position in
// an axis of size d.
func mirrorMap(d, before, after, offset int) []int {
	m := make([]int, d+before+after)
	for j := range m {
		x := j - before
		if x < 0 {
			x = -x - 1 + offset
		} else if x >= d {
			x = 2*d - 1 - offset - x
		}
		m[j] = x
	}
	return m
}

// checkMirror checks the paddings against the source dims.
func checkMirror(c *kernels.Context, dims, before, after []int, offset int) error {
	for i, d := range dims {
		if before[i] > d-offset || after[i] > d-offset {
			if offset == 1 {
				return c.Errorf("paddings must be less than the dimension size: %d, %d not less than %d", before[i], after[i], d)
			}
			return c.Errorf("paddings must be no greater than the dimension size: %d, %d greater than %d", before[i], after[i], d)
		}
	}
	return nil
}

func mirrorPad(c *kernels.Context) error {
	if err := need(c, 2); err != nil {
		return err
	}
	in := c.Input(0)
	offset, err := mirrorOffset(c)
	if err != nil {
		return err
	}
	before, after, err := readPaddings(c, c.Input(1), in.Rank(), "paddings")
	if err != nil {
		return err
	}
	if err := checkMirror(c, in.Shape(), before, after, offset); err != nil {
		return err
	}
	shape, err := paddedShape(c, in.Shape(), before, after)
	if err != nil {
		return err
	}
	if slices.Equal(shape, in.Shape()) {
		c.SetOutput(0, in)
		return nil
	}
	maps := make([][]int, in.Rank())
	for i, d := range in.Shape() {
		maps[i] = mirrorMap(d, before[i], after[i], offset)
	}
	out, dst, err := alloc(c, in.DType(), shape)
	if err != nil {
		return err
	}
	if err := gatherAxes(c.Ctx(), dst, mustElems(in), stridesOf(in.Shape()), maps, nil); err != nil {
		return err
	}
	c.SetOutput(0, out)
	return nil
}

func mirrorPadGrad(c *kernels.Context) error {
	if err := need(c, 2); err != nil {
		return err
	}
	in := c.Input(0)
	offset, err := mirrorOffset(c)
	if err != nil {
		return err
	}
	before, after, err := readPaddings(c, c.Input(1), in.Rank(), "paddings")
	if err != nil {
		return err
	}
	shape := make([]int, in.Rank())
	for i, d := range in.Shape() {
		shape[i] = d - before[i] - after[i]
		if shape[i] < 0 {
			return c.Errorf("paddings %d, %d exceed the dimension size %d", before[i], after[i], d)
		}
	}
	if err := checkMirror(c, shape, before, after, offset); err != nil {
		return err
	}
	// Flat target offset in the output for every element of the input.
	ost := stridesOf(shape)
	targets := make([]int, in.NumElements())
	if len(targets) > 0 {
		maps := make([][]int, in.Rank())
		for i, d := range shape {
			maps[i] = mirrorMap(d, before[i], after[i], offset)
		}
		co := make([]int, in.Rank())
		for p := range targets {
			t := 0
			for k, x := range co {
				t += maps[k][x] * ost[k]
			}
			targets[p] = t
			for k := len(co) - 1; k >= 0; k-- {
				co[k]++
				if co[k] < in.Dim(k) {
					break
				}
				co[k] = 0
			}
		}
	}
	acc := in
	if in.DType() == tensor.Float16 || in.DType() == tensor.BFloat16 {
		if acc, err = in.Cast(tensor.Float32); err != nil {
			return c.Errorf("%v", err)
		}
	}
	out, err := c.Allocate(acc.DType(), shape...)
	if err != nil {
		return err
	}
	switch d := out.Data().(type) {
	case []float32:
		addAt(d, acc.Float32s(), targets)
	case []float64:
		addAt(d, acc.Float64s(), targets)
	case []int32:
		addAt(d, acc.Int32s(), targets)
	case []int64:
		addAt(d, acc.Int64s(), targets)
	case []complex64:
		addAt(d, tensor.Values[complex64](acc), targets)
	case []complex128:
		addAt(d, tensor.Values[complex128](acc), targets)
	default:
		return c.Errorf("MirrorPadGrad: unsupported dtype %v", in.DType())
	}
	if acc != in {
		if out, err = out.Cast(in.DType()); err != nil {
			return c.Errorf("%v", err)
		}
	}
	c.SetOutput(0, out)
	return nil
}

func addAt[T float32 | float64 | int32 | int64 | complex64 | complex128](dst, src []T, targets []int) {
	for i, t := range targets {
		dst[t] += src[i]
	}
}
