// Package benchmodels builds the models of the project's benchmarks from
// its own ops, so that the go test benchmarks and bench/gobench (the
// tfhub-go contender of bench/models.sh) run the same graphs.
package benchmodels

import (
	"math/rand/v2"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/tensor"
)

// consts makes the random and constant tensors of a benchmark model.
type consts struct {
	g *graph.Graph
	r *rand.Rand
}

// weights is a random tensor scaled by its fan-in.
func (c consts) weights(shape ...int) graph.Output {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	fan := float32(n / shape[len(shape)-1])
	for i := range v {
		v[i] = (c.r.Float32()*2 - 1) / fan
	}
	return c.g.Bind(ops.Const(tensor.New(v, shape...)))
}

// ones is a vector of ones.
func (c consts) ones(n int) graph.Output {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return c.g.Bind(ops.Const(tensor.New(v, n)))
}

// MobileNetV2 builds MobileNetV2's inference graph (224x224x3 input, width
// 1.0, 1000 classes) from the project's ops with random weights: the
// workload of issue 11's model benchmark. Batch norms are inference-mode
// FusedBatchNormV3 nodes, as a TF export has them before optimization.
func MobileNetV2(batch int) (*graph.Graph, graph.Output, graph.Output) {
	r := rand.New(rand.NewPCG(1, 1))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(batch, 224, 224, 3), graph.Name("images"))
	k := consts{g, r}
	weights, ones := k.weights, k.ones
	bn := func(h graph.Output, c int) graph.Output {
		y, _, _, _, _, _ := ops.FusedBatchNormV3(h, ones(c), weights(c), weights(c), ones(c), graph.Attr("is_training", false))
		return y
	}
	conv := func(h graph.Output, k, in, out, stride int) graph.Output {
		return bn(ops.Conv2D(h, weights(k, k, in, out), []int{1, stride, stride, 1}, "SAME"), out)
	}
	dw := func(h graph.Output, c, stride int) graph.Output {
		return bn(ops.DepthwiseConv2dNative(h, weights(3, 3, c, 1), []int{1, stride, stride, 1}, "SAME"), c)
	}
	h := ops.Relu6(conv(x, 3, 3, 32, 2))
	in := 32
	for _, b := range []struct{ t, c, n, s int }{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		for i := 0; i < b.n; i++ {
			stride := b.s
			if i > 0 {
				stride = 1
			}
			y := h
			hidden := in * b.t
			if b.t != 1 {
				y = ops.Relu6(conv(y, 1, in, hidden, 1))
			}
			y = ops.Relu6(dw(y, hidden, stride))
			y = conv(y, 1, hidden, b.c, 1)
			if stride == 1 && in == b.c {
				y = ops.AddV2(h, y)
			}
			h, in = y, b.c
		}
	}
	h = ops.Relu6(conv(h, 1, in, 1280, 1))
	h = ops.Mean(h, g.Bind(ops.Const(tensor.New([]int32{1, 2}, 2))))
	logits := ops.BiasAdd(ops.MatMul(h, weights(1280, 1000)), weights(1000))
	return g, x, logits
}

// ResNet50 builds ResNet-50's inference graph (v1.5: stride in the 3x3
// convolutions; 224x224x3 input, 1000 classes) from the project's ops with
// random weights, batch norms as inference-mode FusedBatchNormV3 nodes.
func ResNet50(batch int) (*graph.Graph, graph.Output, graph.Output) {
	r := rand.New(rand.NewPCG(2, 2))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(batch, 224, 224, 3), graph.Name("images"))
	k := consts{g, r}
	weights, ones := k.weights, k.ones
	conv := func(h graph.Output, k, in, out, stride int) graph.Output {
		y := ops.Conv2D(h, weights(k, k, in, out), []int{1, stride, stride, 1}, "SAME")
		y, _, _, _, _, _ = ops.FusedBatchNormV3(y, ones(out), weights(out), weights(out), ones(out), graph.Attr("is_training", false))
		return y
	}
	h := ops.Relu(conv(x, 7, 3, 64, 2))
	h = ops.MaxPool(h, []int{1, 3, 3, 1}, []int{1, 2, 2, 1}, "SAME")
	in := 64
	for stage, blocks := range []int{3, 4, 6, 3} {
		width := 64 << stage
		for b := 0; b < blocks; b++ {
			stride := 1
			if b == 0 && stage > 0 {
				stride = 2
			}
			short := h
			if b == 0 {
				short = conv(h, 1, in, 4*width, stride)
			}
			y := ops.Relu(conv(h, 1, in, width, 1))
			y = ops.Relu(conv(y, 3, width, width, stride))
			y = conv(y, 1, width, 4*width, 1)
			h, in = ops.Relu(ops.AddV2(y, short)), 4*width
		}
	}
	h = ops.Mean(h, g.Bind(ops.Const(tensor.New([]int32{1, 2}, 2))))
	logits := ops.BiasAdd(ops.MatMul(h, weights(2048, 1000)), weights(1000))
	return g, x, logits
}
