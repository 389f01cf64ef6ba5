package keras

import (
	"fmt"
	"strings"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/tensor"
)

// pair expands one or two ints to [h, w].
func pair(v []int, def int) ([]int, error) {
	switch len(v) {
	case 0:
		return []int{def, def}, nil
	case 1:
		v = []int{v[0], v[0]}
	case 2:
	default:
		return nil, fmt.Errorf("%w: want 1 or 2 values, got %v", ErrInvalid, v)
	}
	if v[0] <= 0 || v[1] <= 0 {
		return nil, fmt.Errorf("%w: sizes must be positive, got %v", ErrInvalid, v)
	}
	return v, nil
}

func padding(p string) (string, error) {
	switch strings.ToLower(p) {
	case "", "valid":
		return "VALID", nil
	case "same":
		return "SAME", nil
	}
	return "", fmt.Errorf("%w: padding %q, want \"valid\" or \"same\"", ErrInvalid, p)
}

// checkImage checks a channels-last image input [batch, h, w, c].
func checkImage(in *Tensor) error {
	if len(in.shape) != 4 {
		return fmt.Errorf("%w: input %s has shape %s, want [batch, height, width, channels]", ErrInvalid, in.name, shapeString(in.shape))
	}
	if !in.dtype.IsFloat() {
		return fmt.Errorf("%w: input %s is %v, want float", ErrInvalid, in.name, in.dtype)
	}
	return nil
}

// ---- Conv2D

type conv2D struct {
	*base
	filters      int
	ksize        []int
	strides      []int
	pad          string
	kernel, bias *Weight
}

// Conv2D returns a 2-D convolution over channels-last images with filters
// output channels and a kernelSize x kernelSize kernel (WithKernelSize
// for other shapes), WithStrides and WithPadding.
func Conv2D(filters, kernelSize int, opts ...LayerOption) Layer {
	l := &conv2D{filters: filters, ksize: []int{kernelSize, kernelSize}}
	l.base = newBase("Conv2D", "conv2d", l, opts)
	if l.cfg.kernelSize != nil {
		l.ksize = l.cfg.kernelSize
	}
	return l
}

func (l *conv2D) build(b *base, in []*Tensor) error {
	if err := checkImage(in[0]); err != nil {
		return err
	}
	if l.filters <= 0 || l.ksize[0] <= 0 || l.ksize[1] <= 0 {
		return fmt.Errorf("%w: Conv2D(%d, %v)", ErrInvalid, l.filters, l.ksize)
	}
	var err error
	if l.strides, err = pair(b.cfg.strides, 1); err != nil {
		return err
	}
	if l.pad, err = padding(b.cfg.padding); err != nil {
		return err
	}
	if !knownActivation(b.cfg.activation) {
		return fmt.Errorf("%w: unknown activation %q", ErrInvalid, b.cfg.activation)
	}
	c := in[0].shape[3]
	if c <= 0 {
		return fmt.Errorf("%w: the channel dim must be known", ErrInvalid)
	}
	dt := in[0].dtype
	l.kernel = b.addWeight("kernel", []int{l.ksize[0], l.ksize[1], c, l.filters}, dt, orInit(b.cfg.kernelInit, GlorotUniform()), b.cfg.kernelReg, true)
	if !b.cfg.noBias {
		l.bias = b.addWeight("bias", []int{l.filters}, dt, orInit(b.cfg.biasInit, Zeros()), b.cfg.biasReg, true)
	}
	return nil
}

func (l *conv2D) call(b *builder, in []graph.Output) (graph.Output, error) {
	y := ops.Conv2D(in[0], b.read(l.kernel), []int{1, l.strides[0], l.strides[1], 1}, l.pad)
	if l.bias != nil {
		y = ops.BiasAdd(y, b.read(l.bias))
	}
	return activation(l.cfg.activation, y)
}

// ---- Pooling

type pool2D struct {
	*base
	op      string // MaxPool or AvgPool
	size    []int
	strides []int
	pad     string
}

// MaxPooling2D takes the maximum over poolSize x poolSize windows
// (strides default to the pool size).
func MaxPooling2D(poolSize int, opts ...LayerOption) Layer {
	l := &pool2D{op: "MaxPool", size: []int{poolSize, poolSize}}
	l.base = newBase("MaxPooling2D", "max_pooling2d", l, opts)
	return l
}

// AveragePooling2D averages over poolSize x poolSize windows (strides
// default to the pool size).
func AveragePooling2D(poolSize int, opts ...LayerOption) Layer {
	l := &pool2D{op: "AvgPool", size: []int{poolSize, poolSize}}
	l.base = newBase("AveragePooling2D", "average_pooling2d", l, opts)
	return l
}

func (l *pool2D) build(b *base, in []*Tensor) error {
	if err := checkImage(in[0]); err != nil {
		return err
	}
	if l.size[0] <= 0 {
		return fmt.Errorf("%w: pool size %d", ErrInvalid, l.size[0])
	}
	var err error
	if l.strides, err = pair(b.cfg.strides, l.size[0]); err != nil {
		return err
	}
	l.pad, err = padding(b.cfg.padding)
	return err
}

func (l *pool2D) call(b *builder, in []graph.Output) (graph.Output, error) {
	k := []int{1, l.size[0], l.size[1], 1}
	s := []int{1, l.strides[0], l.strides[1], 1}
	if l.op == "MaxPool" {
		return ops.MaxPool(in[0], k, s, l.pad), nil
	}
	return ops.AvgPool(in[0], k, s, l.pad), nil
}

// ---- GlobalAveragePooling2D

type globalAvgPool struct{ *base }

// GlobalAveragePooling2D averages each channel over the spatial dims:
// [batch, h, w, c] to [batch, c].
func GlobalAveragePooling2D(opts ...LayerOption) Layer {
	l := &globalAvgPool{}
	l.base = newBase("GlobalAveragePooling2D", "global_average_pooling2d", l, opts)
	return l
}

func (l *globalAvgPool) build(b *base, in []*Tensor) error { return checkImage(in[0]) }

func (l *globalAvgPool) call(b *builder, in []graph.Output) (graph.Output, error) {
	return ops.Mean(in[0], ops.Const([]int32{1, 2})), nil
}

// ---- BatchNormalization

type batchNorm struct {
	*base
	axis                         int
	momentum, eps                float64
	gamma, beta, movMean, movVar *Weight
}

// BatchNormalization normalizes its input over the batch (and all axes
// but the feature axis, WithAxis, default -1): in training with the
// batch's statistics, updating moving averages (WithMomentum, default
// 0.99); at inference with the moving averages. Gamma and beta
// (WithScale, WithCenter) are learned.
func BatchNormalization(opts ...LayerOption) Layer {
	l := &batchNorm{axis: -1, momentum: 0.99, eps: 1e-3}
	l.base = newBase("BatchNormalization", "batch_normalization", l, opts)
	if l.cfg.axis != nil {
		l.axis = *l.cfg.axis
	}
	if l.cfg.momentum != nil {
		l.momentum = *l.cfg.momentum
	}
	if l.cfg.epsilon != nil {
		l.eps = *l.cfg.epsilon
	}
	return l
}

func (l *batchNorm) build(b *base, in []*Tensor) error {
	x := in[0]
	if !x.dtype.IsFloat() {
		return fmt.Errorf("%w: input is %v, want float", ErrInvalid, x.dtype)
	}
	r := len(x.shape)
	if l.axis < 0 {
		l.axis += r
	}
	if l.axis <= 0 || l.axis >= r {
		return fmt.Errorf("%w: axis %d for rank %d", ErrInvalid, l.axis, r)
	}
	c := x.shape[l.axis]
	if c <= 0 {
		return fmt.Errorf("%w: the feature dim must be known", ErrInvalid)
	}
	if l.eps <= 0 || l.momentum < 0 || l.momentum > 1 {
		return fmt.Errorf("%w: epsilon %v, momentum %v", ErrInvalid, l.eps, l.momentum)
	}
	dt := x.dtype
	if b.cfg.scale == nil || *b.cfg.scale {
		l.gamma = b.addWeight("gamma", []int{c}, dt, Ones(), nil, true)
	}
	if b.cfg.center == nil || *b.cfg.center {
		l.beta = b.addWeight("beta", []int{c}, dt, Zeros(), nil, true)
	}
	l.movMean = b.addWeight("moving_mean", []int{c}, dt, Zeros(), nil, false)
	l.movVar = b.addWeight("moving_variance", []int{c}, dt, Ones(), nil, false)
	return nil
}

func (l *batchNorm) call(b *builder, in []graph.Output) (graph.Output, error) {
	x := in[0]
	r := x.Shape().Rank()
	// Parameters broadcast along the feature axis.
	bshape := make([]int32, r)
	var axes []int32
	for i := range bshape {
		bshape[i] = 1
		if i != l.axis {
			axes = append(axes, int32(i))
		}
	}
	bshape[l.axis] = -1
	bcast := func(v graph.Output) graph.Output {
		if l.axis == r-1 {
			return v
		}
		return ops.Reshape(v, ops.Const(bshape))
	}
	if !b.training && r == 4 && l.axis == 3 && x.DType() == tensor.Float32 && x.Shape().Dim(3) > 0 {
		// At inference on NHWC images, one FusedBatchNormV3 as TF's Keras
		// emits (fused=True): the runtime's optimizer folds it into the
		// convolution before it.
		c := x.Shape().Dim(3)
		scale, offset := ops.Const(ones32(c)), ops.Const(make([]float32, c))
		if l.gamma != nil {
			scale = b.read(l.gamma)
		}
		if l.beta != nil {
			offset = b.read(l.beta)
		}
		y, _, _, _, _, _ := ops.FusedBatchNormV3(x, scale, offset, b.read(l.movMean), b.read(l.movVar),
			graph.Attr("is_training", false), graph.Attr("epsilon", float32(l.eps)))
		return y, nil
	}
	var mean, variance graph.Output
	if b.training {
		mean = ops.Mean(x, ops.Const(axes))
		variance = ops.Mean(ops.SquaredDifference(x, ops.StopGradient(bcast(mean))), ops.Const(axes))
		// moving -= (moving - batch) * (1 - momentum)
		for _, u := range []struct {
			w *Weight
			v graph.Output
		}{{l.movMean, mean}, {l.movVar, variance}} {
			delta := ops.Mul(ops.Sub(b.read(u.w), ops.StopGradient(u.v)), ops.Scalar(1-l.momentum))
			b.updates = append(b.updates, ops.AssignSubVariableOp(b.vars.handle(u.w), delta))
		}
	} else {
		mean, variance = b.read(l.movMean), b.read(l.movVar)
	}
	inv := ops.Rsqrt(ops.AddV2(variance, ops.Scalar(l.eps)))
	if l.gamma != nil {
		inv = ops.Mul(inv, b.read(l.gamma))
	}
	y := ops.Mul(ops.Sub(x, bcast(mean)), bcast(inv))
	if l.beta != nil {
		y = ops.AddV2(y, bcast(b.read(l.beta)))
	}
	return y, nil
}

// ones32 is a float32 vector of n ones.
func ones32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
