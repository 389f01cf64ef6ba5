package nn

import (
	goruntime "runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/gemm"
	"github.com/tfhub-go/tfhub/tensor"
)

func init() {
	reg("Conv2D", conv2DOp)
	reg("Conv2DBackpropInput", conv2DBackpropInputOp)
	reg("Conv2DBackpropFilter", conv2DBackpropFilterOp)
}

// colTarget is the number of elements of an im2col block: the output
// pixels are processed in chunks whose patch matrix stays around this size
// (512 KiB of float32), so that it is reused from cache by the GEMM.
const colTarget = 1 << 17

// chunkRows returns how many output pixels of patch size k make a chunk.
func chunkRows(pixels, k int) int {
	if k <= 0 {
		return max(1, pixels)
	}
	return max(1, min(pixels, max(32, colTarget/k)))
}

// conv2D is the geometry of a 2-D convolution in NHWC layout with a filter
// [kh, kw, cin/groups, cout].
type conv2D struct {
	n, h, w, cin      int
	kh, kw, cout      int
	groups, cg, coutG int
	y, x              geom // rows and columns

	// filter is the filter prepacked for the GEMM (float32, one group),
	// or nil.
	filter *gemm.PackedB
}

func (p *conv2D) outShape() []int { return []int{p.n, p.y.out, p.x.out, p.cout} }

// patch is the length of one im2col row: kh*kw*cin/groups.
func (p *conv2D) patch() int { return p.kh * p.kw * p.cg }

// pointwise reports a 1x1 filter with stride 1 and no padding, where the
// input itself is the im2col matrix.
func (p *conv2D) pointwise() bool {
	return p.kh == 1 && p.kw == 1 && p.y.stride == 1 && p.x.stride == 1 && p.y.pad == 0 && p.x.pad == 0 &&
		p.y.out == p.h && p.x.out == p.w
}

// conv2DGeometry validates the attrs and the input and filter shapes of a
// Conv2D-family op and resolves the geometry.
func conv2DGeometry(c *kernels.Context, op string, in, filter []int) (*conv2D, error) {
	if err := requireFormat(c, op, "NHWC"); err != nil {
		return nil, err
	}
	specs, err := windowAttrs(c, op, 4, "strides", "dilations", true)
	if err != nil {
		return nil, err
	}
	if len(in) != 4 {
		return nil, c.Errorf("%s: input must be 4-dimensional, got shape %s", op, shapeStr(in))
	}
	if len(filter) != 4 {
		return nil, c.Errorf("%s: filter must be 4-dimensional, got shape %s", op, shapeStr(filter))
	}
	if product(filter) == 0 {
		return nil, c.Errorf("%s: filter must not have zero elements (i.e. all dimensions must be non-zero), got shape %s", op, shapeStr(filter))
	}
	p := &conv2D{n: in[0], h: in[1], w: in[2], cin: in[3], kh: filter[0], kw: filter[1], cg: filter[2], cout: filter[3]}
	if p.cin%p.cg != 0 {
		return nil, c.Errorf("%s: input depth must be evenly divisible by filter depth: %d vs %d", op, p.cin, p.cg)
	}
	p.groups = p.cin / p.cg
	if p.groups == 0 || p.cout%p.groups != 0 {
		return nil, c.Errorf("%s: output depth %d must be evenly divisible by the number of groups %d (input depth %d, filter depth %d)", op, p.cout, p.groups, p.cin, p.cg)
	}
	p.coutG = p.cout / p.groups
	if p.y, err = specs[0].resolve(c, op+" rows", p.h, p.kh); err != nil {
		return nil, err
	}
	if p.x, err = specs[1].resolve(c, op+" cols", p.w, p.kw); err != nil {
		return nil, err
	}
	return p, nil
}

// im2col writes the patches of output pixels q0..q1-1 (counted over
// batch, rows and columns) for group g into col, one row of patch()
// elements per pixel, ordered (ky, kx, channel) like the filter. Taps in
// the padding are zero.
func im2col[T tensor.Element](p *conv2D, x []T, q0, q1, g int, col []T) {
	k := p.patch()
	ohw := p.y.out * p.x.out
	rowLen := p.kw * p.cg
	contiguous := p.groups == 1 && p.x.dil == 1
	for q := q0; q < q1; q++ {
		b, r := q/ohw, q%ohw
		oy, ox := r/p.x.out, r%p.x.out
		row := col[(q-q0)*k : (q-q0+1)*k]
		iy0 := oy*p.y.stride - p.y.pad
		ix0 := ox*p.x.stride - p.x.pad
		for ky := 0; ky < p.kh; ky++ {
			dst := row[ky*rowLen : (ky+1)*rowLen]
			iy := iy0 + ky*p.y.dil
			if iy < 0 || iy >= p.h {
				clear(dst)
				continue
			}
			base := (b*p.h + iy) * p.w
			if contiguous && ix0 >= 0 && ix0+p.kw <= p.w {
				copy(dst, x[(base+ix0)*p.cin:(base+ix0+p.kw)*p.cin])
				continue
			}
			for kx := 0; kx < p.kw; kx++ {
				d := dst[kx*p.cg : (kx+1)*p.cg]
				ix := ix0 + kx*p.x.dil
				if ix < 0 || ix >= p.w {
					clear(d)
					continue
				}
				off := (base+ix)*p.cin + g*p.cg
				copy(d, x[off:off+p.cg])
			}
		}
	}
}

// col2im adds the patch rows of col (as im2col lays them out) into the
// input-shaped dx: the transpose of im2col.
func col2im[T realT](p *conv2D, col []T, q0, q1, g int, dx []T) {
	k := p.patch()
	ohw := p.y.out * p.x.out
	for q := q0; q < q1; q++ {
		b, r := q/ohw, q%ohw
		oy, ox := r/p.x.out, r%p.x.out
		row := col[(q-q0)*k : (q-q0+1)*k]
		iy0 := oy*p.y.stride - p.y.pad
		ix0 := ox*p.x.stride - p.x.pad
		for ky := 0; ky < p.kh; ky++ {
			iy := iy0 + ky*p.y.dil
			if iy < 0 || iy >= p.h {
				continue
			}
			base := (b*p.h + iy) * p.w
			for kx := 0; kx < p.kw; kx++ {
				ix := ix0 + kx*p.x.dil
				if ix < 0 || ix >= p.w {
					continue
				}
				off := (base+ix)*p.cin + g*p.cg
				src := row[(ky*p.kw+kx)*p.cg : (ky*p.kw+kx+1)*p.cg]
				d := dx[off : off+p.cg]
				for i, v := range src {
					d[i] += v
				}
			}
		}
	}
}

// conv2DForward computes the convolution into out (NHWC output shape).
func conv2DForward[T realT](c *kernels.Context, p *conv2D, x, f, out []T) error {
	if xs, ok := any(x).([]float32); ok && p.filter != nil {
		return conv2DPacked(c, p, xs, any(out).([]float32))
	}
	if p.pointwise() {
		m := p.n * p.h * p.w
		for g := 0; g < p.groups; g++ {
			gemmAny(false, false, m, p.coutG, p.cg, x[g*p.cg:], p.cin, f[g*p.coutG:], p.cout, false, out[g*p.coutG:], p.cout)
		}
		return nil
	}
	k := p.patch()
	pixels := p.n * p.y.out * p.x.out
	chunk := chunkRows(pixels, k)
	col, done := colBuf[T](chunk * k)
	defer done()
	for q0 := 0; q0 < pixels; q0 += chunk {
		if err := ctxErr(c); err != nil {
			return err
		}
		q1 := min(pixels, q0+chunk)
		for g := 0; g < p.groups; g++ {
			im2col(p, x, q0, q1, g, col)
			gemmAny(false, false, q1-q0, p.coutG, k, col, k, f[g*p.coutG:], p.cout, false, out[q0*p.cout+g*p.coutG:], p.cout)
		}
	}
	return nil
}

// colPool recycles the float32 patch matrices of conv2DPacked: a
// convolution would otherwise allocate (and the OS fault in) a fresh
// half-megabyte buffer per worker at every call.
var colPool sync.Pool // *[]float32

func getCol(n int) *[]float32 {
	if p, ok := colPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func putCol(p *[]float32) { colPool.Put(p) }

// colBuf returns a patch matrix of n elements, recycled for float32, and
// the function that gives it back.
func colBuf[T tensor.Element](n int) ([]T, func()) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		p := getCol(n)
		return any(*p).([]T), func() { putCol(p) }
	}
	return make([]T, n), func() {}
}

// conv2DPacked is conv2DForward for float32 with the filter prepacked
// (one group).
func conv2DPacked(c *kernels.Context, p *conv2D, x, out []float32) error {
	if p.pointwise() {
		gemm.SgemmB(false, p.n*p.h*p.w, 1, x, p.cin, p.filter, 0, out, p.cout)
		return nil
	}
	k := p.patch()
	pixels := p.n * p.y.out * p.x.out
	chunk := chunkRows(pixels, k)
	if w := goruntime.GOMAXPROCS(0); w > 1 && pixels >= 4*w*32 {
		// At least four chunks per worker, so that they share the work
		// evenly.
		chunk = min(chunk, max(32, pixels/(4*w)))
	}
	chunks := (pixels + chunk - 1) / chunk
	workers := min(goruntime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		col := getCol(chunk * k)
		defer putCol(col)
		for q0 := 0; q0 < pixels; q0 += chunk {
			if err := ctxErr(c); err != nil {
				return err
			}
			q1 := min(pixels, q0+chunk)
			im2col(p, x, q0, q1, 0, *col)
			gemm.SgemmB(false, q1-q0, 1, *col, k, p.filter, 0, out[q0*p.cout:], p.cout)
		}
		return nil
	}
	// Chunks in parallel, each worker with its own patch matrix and a
	// one-thread product: the products of cache-sized chunks are too small
	// to split well, the chunks are not.
	var next atomic.Int64
	ctx := ctxOf(c)
	parallelFor(workers, func(int) {
		col := getCol(chunk * k)
		defer putCol(col)
		for ctx.Err() == nil {
			q := int(next.Add(1) - 1)
			if q >= chunks {
				return
			}
			q0 := q * chunk
			q1 := min(pixels, q0+chunk)
			im2col(p, x, q0, q1, 0, *col)
			gemm.SgemmBThreads(1, false, q1-q0, 1, *col, k, p.filter, 0, out[q0*p.cout:], p.cout)
		}
	})
	return ctx.Err()
}

// conv2DBackInput computes the gradient with respect to the input: the
// product of out_backprop with the transposed filter, scattered back with
// col2im. dx must be zero.
func conv2DBackInput[T realT](c *kernels.Context, p *conv2D, dy, f, dx []T) error {
	if p.pointwise() {
		m := p.n * p.h * p.w
		for g := 0; g < p.groups; g++ {
			gemmAny(false, true, m, p.cg, p.coutG, dy[g*p.coutG:], p.cout, f[g*p.coutG:], p.cout, false, dx[g*p.cg:], p.cin)
		}
		return nil
	}
	k := p.patch()
	pixels := p.n * p.y.out * p.x.out
	chunk := chunkRows(pixels, k)
	col, done := colBuf[T](chunk * k)
	defer done()
	for q0 := 0; q0 < pixels; q0 += chunk {
		if err := ctxErr(c); err != nil {
			return err
		}
		q1 := min(pixels, q0+chunk)
		for g := 0; g < p.groups; g++ {
			gemmAny(false, true, q1-q0, k, p.coutG, dy[q0*p.cout+g*p.coutG:], p.cout, f[g*p.coutG:], p.cout, false, col, k)
			col2im(p, col, q0, q1, g, dx)
		}
	}
	return nil
}

// conv2DBackFilter computes the gradient with respect to the filter: the
// transposed patch matrix times out_backprop, summed over chunks. df must
// be zero.
func conv2DBackFilter[T realT](c *kernels.Context, p *conv2D, x, dy, df []T) error {
	if p.pointwise() {
		m := p.n * p.h * p.w
		if m == 0 {
			return nil
		}
		for g := 0; g < p.groups; g++ {
			gemmAny(true, false, p.cg, p.coutG, m, x[g*p.cg:], p.cin, dy[g*p.coutG:], p.cout, true, df[g*p.coutG:], p.cout)
		}
		return nil
	}
	k := p.patch()
	pixels := p.n * p.y.out * p.x.out
	chunk := chunkRows(pixels, k)
	col, done := colBuf[T](chunk * k)
	defer done()
	for q0 := 0; q0 < pixels; q0 += chunk {
		if err := ctxErr(c); err != nil {
			return err
		}
		q1 := min(pixels, q0+chunk)
		for g := 0; g < p.groups; g++ {
			im2col(p, x, q0, q1, g, col)
			gemmAny(true, false, k, p.coutG, q1-q0, col, k, dy[q0*p.cout+g*p.coutG:], p.cout, true, df[g*p.coutG:], p.cout)
		}
	}
	return nil
}

// convDType checks the operand dtypes of a convolution: one float type,
// or with allowInt also int32 (Conv2D and its input backprop).
func convDType(c *kernels.Context, op string, allowInt bool, ts ...*tensor.Tensor) error {
	d := ts[0].DType()
	if !(isFloat(d) || allowInt && d == tensor.Int32) {
		return c.Errorf("%s does not support %v", op, d)
	}
	for _, t := range ts[1:] {
		if t.DType() != d {
			return c.Errorf("%s: operands have types %v and %v", op, d, t.DType())
		}
	}
	return nil
}

// runConv allocates the output and runs one of the conv routines on the
// float32, float64 or int32 data of a and b (halves through float32).
func runConv(c *kernels.Context, op string, a, b *tensor.Tensor, outShape []int,
	f32 func(a, b, out []float32) error, f64 func(a, b, out []float64) error, i32 func(a, b, out []int32) error) error {
	dt := a.DType()
	ws, err := widen(a, b)
	if err != nil {
		return c.Errorf("%s: %v", op, err)
	}
	var out *tensor.Tensor
	switch ws[0].DType() {
	case tensor.Float32:
		out, err = runInto(c, outShape, ws[0], ws[1], f32)
	case tensor.Float64:
		out, err = runInto(c, outShape, ws[0], ws[1], f64)
	case tensor.Int32:
		if i32 == nil {
			return c.Errorf("%s does not support %v", op, dt)
		}
		out, err = runInto(c, outShape, ws[0], ws[1], i32)
	default:
		return c.Errorf("%s does not support %v", op, dt)
	}
	if err != nil {
		return err
	}
	return setOut(c, 0, out, dt)
}

// runInto allocates the output of shape and runs f on the data of a and b.
func runInto[T tensor.Element](c *kernels.Context, shape []int, a, b *tensor.Tensor, f func(a, b, out []T) error) (*tensor.Tensor, error) {
	out, err := alloc[T](c, shape)
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		if err := f(tensor.Values[T](a), tensor.Values[T](b), out); err != nil {
			return nil, err
		}
	}
	return tensor.FromSlice(out, shape...)
}

// conv2DOp computes a 2-D convolution (TF's Conv2D, NHWC only, as on
// TF's CPU). A filter with fewer input channels than the input makes a
// grouped convolution.
func conv2DOp(c *kernels.Context) error {
	const op = "Conv2D"
	if err := need(c, 2); err != nil {
		return err
	}
	x, f := c.Input(0), c.Input(1)
	if err := convDType(c, op, true, x, f); err != nil {
		return err
	}
	p, err := conv2DGeometry(c, op, x.Shape(), f.Shape())
	if err != nil {
		return err
	}
	if x.DType() == tensor.Float32 && p.groups == 1 {
		p.filter = packedFilter(f, p.patch(), p.cout)
	}
	return runConv(c, op, x, f, p.outShape(),
		func(a, b, o []float32) error { return conv2DForward(c, p, a, b, o) },
		func(a, b, o []float64) error { return conv2DForward(c, p, a, b, o) },
		func(a, b, o []int32) error { return conv2DForward(c, p, a, b, o) })
}

// inputSizes reads the input_sizes/filter_sizes operand of a backprop op:
// an int32 vector of 4 dims, or for input sizes 2 dims (rows and columns;
// batch and depth then come from out_backprop and the filter).
func inputSizes(c *kernels.Context, op string, t *tensor.Tensor, allow2 bool, batch, depth int) ([]int, error) {
	if t.Rank() != 1 {
		return nil, c.Errorf("%s: sizes must be 1-dim, got shape %s", op, shapeStr(t.Shape()))
	}
	v, err := kernels.IntsOf(t)
	if err != nil {
		return nil, c.Errorf("%s: %v", op, err)
	}
	if len(v) == 2 && allow2 {
		v = []int{batch, v[0], v[1], depth}
	}
	if len(v) != 4 {
		return nil, c.Errorf("%s: sizes must have 4 elements, got %v", op, v)
	}
	for _, d := range v {
		if d < 0 {
			return nil, c.Errorf("%s: sizes must be nonnegative, got %v", op, v)
		}
	}
	return v, nil
}

// checkOutBackprop checks that out_backprop has the forward output shape.
func checkOutBackprop(c *kernels.Context, op string, dy *tensor.Tensor, want []int) error {
	if !slices.Equal(dy.Shape(), want) {
		return c.Errorf("%s: out_backprop has shape %s, but the convolution gives %s", op, shapeStr(dy.Shape()), shapeStr(want))
	}
	return nil
}

// conv2DBackpropInputOp computes the gradient of Conv2D with respect to
// its input (also the transposed convolution).
func conv2DBackpropInputOp(c *kernels.Context) error {
	const op = "Conv2DBackpropInput"
	if err := need(c, 3); err != nil {
		return err
	}
	sizes, f, dy := c.Input(0), c.Input(1), c.Input(2)
	if err := convDType(c, op, true, f, dy); err != nil {
		return err
	}
	if dy.Rank() != 4 || f.Rank() != 4 {
		return c.Errorf("%s: filter and out_backprop must be 4-dimensional, got %s and %s", op, shapeStr(f.Shape()), shapeStr(dy.Shape()))
	}
	in, err := inputSizes(c, op, sizes, true, dy.Dim(0), f.Dim(2))
	if err != nil {
		return err
	}
	p, err := conv2DGeometry(c, op, in, f.Shape())
	if err != nil {
		return err
	}
	if err := checkOutBackprop(c, op, dy, p.outShape()); err != nil {
		return err
	}
	return runConv(c, op, dy, f, in,
		func(a, b, o []float32) error { return conv2DBackInput(c, p, a, b, o) },
		func(a, b, o []float64) error { return conv2DBackInput(c, p, a, b, o) },
		func(a, b, o []int32) error { return conv2DBackInput(c, p, a, b, o) })
}

// conv2DBackpropFilterOp computes the gradient of Conv2D with respect to
// its filter.
func conv2DBackpropFilterOp(c *kernels.Context) error {
	const op = "Conv2DBackpropFilter"
	if err := need(c, 3); err != nil {
		return err
	}
	x, sizes, dy := c.Input(0), c.Input(1), c.Input(2)
	if err := convDType(c, op, false, x, dy); err != nil {
		return err
	}
	if x.Rank() != 4 || dy.Rank() != 4 {
		return c.Errorf("%s: input and out_backprop must be 4-dimensional, got %s and %s", op, shapeStr(x.Shape()), shapeStr(dy.Shape()))
	}
	fs, err := inputSizes(c, op, sizes, false, 0, 0)
	if err != nil {
		return err
	}
	p, err := conv2DGeometry(c, op, x.Shape(), fs)
	if err != nil {
		return err
	}
	if err := checkOutBackprop(c, op, dy, p.outShape()); err != nil {
		return err
	}
	return runConv(c, op, x, dy, fs,
		func(a, b, o []float32) error { return conv2DBackFilter(c, p, a, b, o) },
		func(a, b, o []float64) error { return conv2DBackFilter(c, p, a, b, o) },
		nil)
}
