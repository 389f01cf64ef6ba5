package nn

import (
	"math"
	goruntime "runtime"
	"slices"

	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/kernels/internal/simd"
	"github.com/tfhub-go/tfhub/tensor"
)

// The fused ops below are TensorFlow's own internal ops of the same names
// (its grappler "remapper" creates them); the runtime's load-time
// optimizer creates them from Conv2D / DepthwiseConv2dNative / MatMul
// nodes followed by BiasAdd or an inference-mode FusedBatchNorm and an
// optional activation. They take the base op's inputs and attrs, then
// num_args extra inputs ("args") and the attrs fused_ops (the ops fused
// after the base op, in order), epsilon (of FusedBatchNorm) and
// leakyrelu_alpha. Only float32 is supported, as the optimizer fuses only
// float32 nodes.
func init() {
	regInternal("_FusedConv2D", fusedOp("_FusedConv2D", conv2DOp))
	regInternal("_FusedDepthwiseConv2dNative", fusedDepthwise)
	regInternal("_FusedMatMul", fusedOp("_FusedMatMul", matMul))
}

func regInternal(op string, fn kernels.Func) {
	kernels.Register(kernels.Def{Op: op, Fn: guard(op, fn), Internal: true})
}

// epilogue is what a fused op applies to each output row of channels:
// y = act(y*scale[c] + bias[c]); scale nil means 1.
type epilogue struct {
	scale, bias []float32
	act         string
	alpha       float32
	// addend, when not nil, is added after the bias or batch norm and
	// before the activation (fused op "Add": a residual connection).
	addend *tensor.Tensor
}

// fusedEpilogue reads the fused_ops, args and attrs of a fused node whose
// output has channels values in its last dimension.
func fusedEpilogue(c *kernels.Context, op string, channels int) (*epilogue, error) {
	fused, err := c.AttrStrings("fused_ops", nil)
	if err != nil {
		return nil, err
	}
	numArgs, err := c.AttrInt("num_args", 0)
	if err != nil {
		return nil, err
	}
	if int(numArgs) != c.NumInputs()-2 {
		return nil, c.Errorf("%s: num_args is %d but the node has %d extra inputs", op, numArgs, c.NumInputs()-2)
	}
	if len(fused) == 0 || len(fused) > 3 {
		return nil, c.Errorf("%s: fused_ops must be a bias or batch norm, an optional Add and an optional activation, got %q", op, fused)
	}
	hasAdd := len(fused) > 1 && fused[1] == "Add"
	extra := 0
	if hasAdd {
		extra = 1
	}
	args := c.Inputs()[2:]
	vec := func(i int, what string) ([]float32, error) {
		if i >= len(args) || args[i] == nil {
			return nil, c.Errorf("%s: missing %s argument", op, what)
		}
		a := args[i]
		if a.DType() != tensor.Float32 {
			return nil, c.Errorf("%s: %s must be float32, got %v", op, what, a.DType())
		}
		if a.Rank() != 1 || a.Dim(0) != channels {
			return nil, c.Errorf("%s: %s must be a vector of %d values, got shape %s", op, what, channels, shapeStr(a.Shape()))
		}
		return a.Float32s(), nil
	}
	e := &epilogue{}
	switch fused[0] {
	case "BiasAdd":
		if int(numArgs) != 1+extra {
			return nil, c.Errorf("%s: BiasAdd takes 1 argument (and Add one more), num_args is %d", op, numArgs)
		}
		if e.bias, err = vec(0, "bias"); err != nil {
			return nil, err
		}
	case "FusedBatchNorm":
		if int(numArgs) != 4+extra {
			return nil, c.Errorf("%s: FusedBatchNorm takes 4 arguments (scale, offset, mean, variance; and Add one more), num_args is %d", op, numArgs)
		}
		eps, err := c.AttrFloat("epsilon", 0.0001)
		if err != nil {
			return nil, err
		}
		var p [4][]float32
		for i, what := range []string{"scale", "offset", "mean", "variance"} {
			if p[i], err = vec(i, what); err != nil {
				return nil, err
			}
		}
		e.scale = make([]float32, channels)
		e.bias = make([]float32, channels)
		for i := range channels {
			s := float64(p[0][i]) / math.Sqrt(float64(p[3][i])+float64(eps))
			e.scale[i] = float32(s)
			e.bias[i] = float32(float64(p[1][i]) - float64(p[2][i])*s)
		}
	default:
		return nil, c.Errorf("%s: unsupported fused op %q (want BiasAdd or FusedBatchNorm first)", op, fused[0])
	}
	rest := fused[1:]
	if hasAdd {
		a := args[len(args)-1]
		if a == nil || a.DType() != tensor.Float32 {
			return nil, c.Errorf("%s: the Add argument must be float32", op)
		}
		e.addend, rest = a, rest[1:]
	}
	if len(rest) > 1 {
		return nil, c.Errorf("%s: unsupported fused ops %q", op, fused)
	}
	if len(rest) == 1 {
		switch rest[0] {
		case "Relu", "Relu6", "Elu", "Tanh", "Sigmoid":
		case "LeakyRelu":
			if e.alpha, err = c.AttrFloat("leakyrelu_alpha", 0.2); err != nil {
				return nil, err
			}
		default:
			return nil, c.Errorf("%s: unsupported fused activation %q", op, rest[0])
		}
		e.act = rest[0]
	}
	return e, nil
}

// apply runs the epilogue in place on y, rows of len(e.bias) values,
// split over the cores when y is large.
func (e *epilogue) apply(y []float32) {
	if e.addend != nil {
		e.applyAdd(y)
		return
	}
	ch := len(e.bias)
	const block = 1 << 14 // values per task
	rows := max(1, block/ch)
	tasks := (len(y)/ch + rows - 1) / rows
	if tasks < 4 {
		e.applyRows(y)
		return
	}
	parallelFor(tasks, func(i int) {
		lo := i * rows * ch
		e.applyRows(y[lo:min(len(y), lo+rows*ch)])
	})
}

// applyAdd runs an epilogue with an Add: bias or batch norm, then the
// addend (same shape as y), then the activation.
func (e *epilogue) applyAdd(y []float32) {
	inf := float32(math.Inf(1))
	biasClamp(y, len(e.bias), e.scale, e.bias, -inf, inf)
	simd.Add(y, y, e.addend.Float32s())
	lo, hi := e.bounds()
	if e.act == "Relu" || e.act == "Relu6" {
		simd.Clamp(y, y, lo, hi)
		return
	}
	e.activate(y)
}

// applyRows runs the epilogue on whole rows of y.
func (e *epilogue) applyRows(y []float32) {
	lo, hi := e.bounds()
	biasClamp(y, len(e.bias), e.scale, e.bias, lo, hi)
	e.activate(y)
}

// activate applies the activations that are not a clamp.
func (e *epilogue) activate(y []float32) {
	switch e.act {
	case "Elu":
		for i, v := range y {
			if v < 0 {
				y[i] = float32(math.Expm1(float64(v)))
			}
		}
	case "LeakyRelu":
		for i, v := range y {
			if v < 0 {
				y[i] = v * e.alpha
			}
		}
	case "Tanh":
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case "Sigmoid":
		for i, v := range y {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
}

// biasClamp sets y[r*ch+c] = clamp(y*scale[c]+bias[c], lo, hi) for every
// row r; NaN stays NaN.
func biasClamp(y []float32, ch int, scale, bias []float32, lo, hi float32) {
	simd.BiasClamp(y, ch, scale, bias, lo, hi)
}

// bounds returns the clamp of the activation (none: -Inf, +Inf).
func (e *epilogue) bounds() (lo, hi float32) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	switch e.act {
	case "Relu":
		lo = 0
	case "Relu6":
		lo, hi = 0, 6
	}
	return lo, hi
}

// fusedDepthwise runs _FusedDepthwiseConv2dNative: with channel
// multiplier 1 in one pass (the epilogue applied as each output block is
// produced), else as the depthwise convolution then the epilogue.
func fusedDepthwise(c *kernels.Context) error {
	const op = "_FusedDepthwiseConv2dNative"
	if err := need(c, 2); err != nil {
		return err
	}
	x, f := c.Input(0), c.Input(1)
	if x.DType() != tensor.Float32 || f.DType() != tensor.Float32 {
		return c.Errorf("%s: inputs must be float32, got %v and %v", op, x.DType(), f.DType())
	}
	p, err := depthwiseGeometry(c, op, x.Shape(), f.Shape())
	if err != nil {
		return err
	}
	if p.m != 1 {
		return fusedOp(op, depthwiseOp)(c)
	}
	e, err := fusedEpilogue(c, op, p.c)
	if err != nil {
		return err
	}
	if (e.act != "" && e.act != "Relu" && e.act != "Relu6") || e.addend != nil {
		return fusedOp(op, depthwiseOp)(c)
	}
	shape := p.outShape()
	out, err := alloc[float32](c, shape)
	if err != nil {
		return err
	}
	if len(out) > 0 {
		if err := ctxErr(c); err != nil {
			return err
		}
		lo, hi := e.bounds()
		simd.Depthwise(p.simdParams(), x.Float32s(), f.Float32s(), out, e.scale, e.bias, lo, hi, goruntime.GOMAXPROCS(0))
	}
	t, err := tensor.FromSlice(out, shape...)
	if err != nil {
		return err
	}
	c.SetOutput(0, t)
	return nil
}

// fusedOp runs the base kernel on the node's first two inputs and attrs,
// then the fused epilogue on its output.
func fusedOp(op string, base kernels.Func) kernels.Func {
	return func(c *kernels.Context) error {
		if err := need(c, 2); err != nil {
			return err
		}
		for i, t := range c.Inputs()[:2] {
			if t.DType() != tensor.Float32 {
				return c.Errorf("%s: input %d must be float32, got %v", op, i, t.DType())
			}
		}
		if err := base(c); err != nil {
			return err
		}
		y := c.Outputs()[0]
		ch := 0
		if y.Rank() > 0 {
			ch = y.Dim(y.Rank() - 1)
		}
		e, err := fusedEpilogue(c, op, ch)
		if err != nil {
			return err
		}
		if e.addend != nil && !slices.Equal(e.addend.Shape(), y.Shape()) {
			// The optimizer fuses an Add whatever its shapes; an addend
			// that would broadcast goes through the general loop.
			return e.broadcastAdd(c, y)
		}
		if ch > 0 {
			e.apply(y.Float32s())
		}
		return nil
	}
}

// broadcastAdd runs the epilogue when the addend broadcasts against y
// (NumPy rules, as AddV2): bias or batch norm, the broadcast sum into a
// new output, then the activation.
func (e *epilogue) broadcastAdd(c *kernels.Context, y *tensor.Tensor) error {
	if len(e.bias) > 0 {
		inf := float32(math.Inf(1))
		biasClamp(y.Float32s(), len(e.bias), e.scale, e.bias, -inf, inf)
	}
	a := e.addend
	shape, err := kernels.BroadcastShapes(y.Shape(), a.Shape())
	if err != nil {
		return c.Errorf("Add: %v", err)
	}
	out, err := alloc[float32](c, shape)
	if err != nil {
		return err
	}
	ys, as := y.Float32s(), a.Float32s()
	yi, ai := kernels.BroadcastIndex(y.Shape(), shape), kernels.BroadcastIndex(a.Shape(), shape)
	for i := range out {
		j, k := i, i
		if yi != nil {
			j = yi[i]
		}
		if ai != nil {
			k = ai[i]
		}
		out[i] = ys[j] + as[k]
	}
	lo, hi := e.bounds()
	if e.act == "Relu" || e.act == "Relu6" {
		simd.Clamp(out, out, lo, hi)
	} else {
		e.activate(out)
	}
	t, err := tensor.FromSlice(out, shape...)
	if err != nil {
		return err
	}
	c.SetOutput(0, t)
	return nil
}
