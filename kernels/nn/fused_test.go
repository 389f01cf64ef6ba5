package nn

import (
	"math/rand/v2"
	"testing"

	_ "github.com/tfhub-go/tfhub/kernels/elementwise" // Tanh, Sigmoid
	"github.com/tfhub-go/tfhub/tensor"
)

// TestFusedMatchesUnfused checks each fused op against its base op
// followed by BiasAdd or inference-mode FusedBatchNormV3 and the
// activation, run as separate kernels.
func TestFusedMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	acts := []string{"", "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"}
	type base struct {
		op, fused string
		a         attrs
		x, w      *tensor.Tensor
	}
	conv := attrs{"strides": []int{1, 2, 2, 1}, "padding": "SAME"}
	bases := []base{
		{"Conv2D", "_FusedConv2D", conv, randF32(r, 2, 9, 7, 5), randF32(r, 3, 3, 5, 13)},
		{"Conv2D", "_FusedConv2D", attrs{"strides": []int{1, 1, 1, 1}, "padding": "VALID"}, randF32(r, 1, 4, 4, 17), randF32(r, 1, 1, 17, 7)},
		{"DepthwiseConv2dNative", "_FusedDepthwiseConv2dNative", conv, randF32(r, 1, 11, 11, 13), randF32(r, 3, 3, 13, 1)},
		{"MatMul", "_FusedMatMul", attrs{"transpose_b": true}, randF32(r, 7, 33), randF32(r, 13, 33)},
	}
	for _, b := range bases {
		y := run(t, b.op, b.a, b.x, b.w)[0]
		ch := y.Dim(y.Rank() - 1)
		for _, bn := range []bool{false, true} {
			for _, act := range acts {
				if bn && b.op == "MatMul" {
					continue
				}
				name := b.fused + "/" + map[bool]string{false: "BiasAdd", true: "FusedBatchNorm"}[bn] + "/" + act
				t.Run(name, func(t *testing.T) {
					fa := attrs{}
					for k, v := range b.a {
						fa[k] = v
					}
					var want *tensor.Tensor
					args := []*tensor.Tensor{b.x, b.w}
					if bn {
						scale, offset, mean := randF32(r, ch), randF32(r, ch), randF32(r, ch)
						variance := randF32(r, ch)
						for i, v := range variance.Float32s() {
							variance.Float32s()[i] = v*v + 0.1
						}
						want = run(t, "FusedBatchNormV3", attrs{"is_training": false, "epsilon": float32(0.001)}, y, scale, offset, mean, variance)[0]
						args = append(args, scale, offset, mean, variance)
						fa["fused_ops"] = []string{"FusedBatchNorm"}
						fa["epsilon"] = float32(0.001)
					} else {
						bias := randF32(r, ch)
						want = run(t, "BiasAdd", nil, y, bias)[0]
						args = append(args, bias)
						fa["fused_ops"] = []string{"BiasAdd"}
					}
					if act != "" {
						aa := attrs(nil)
						if act == "LeakyRelu" {
							aa = attrs{"alpha": float32(0.3)}
							fa["leakyrelu_alpha"] = float32(0.3)
						}
						want = run(t, act, aa, want)[0]
						fa["fused_ops"] = append(fa["fused_ops"].([]string), act)
					}
					fa["num_args"] = len(args) - 2
					got := run(t, b.fused, fa, args...)[0]
					check(t, got, want, 1e-5)
				})
			}
		}
	}
}

// TestFusedErrors checks the fused ops' argument validation.
func TestFusedErrors(t *testing.T) {
	x, w := seq(1, 3, 3, 2), seq(1, 1, 2, 4)
	a := func(fused []string, n int) attrs {
		return attrs{"strides": []int{1, 1, 1, 1}, "padding": "SAME", "fused_ops": fused, "num_args": n}
	}
	runErr(t, "vector of 4", "_FusedConv2D", a([]string{"BiasAdd"}, 1), x, w, seq(3))
	runErr(t, "num_args", "_FusedConv2D", a([]string{"BiasAdd"}, 2), x, w, seq(4))
	runErr(t, "unsupported fused op", "_FusedConv2D", a([]string{"Add"}, 1), x, w, seq(4))
	runErr(t, "unsupported fused activation", "_FusedConv2D", a([]string{"BiasAdd", "Softmax"}, 1), x, w, seq(4))
	runErr(t, "4 arguments", "_FusedConv2D", a([]string{"FusedBatchNorm"}, 1), x, w, seq(4))
	runErr(t, "float32", "_FusedConv2D", a([]string{"BiasAdd"}, 1), cast(t, x, tensor.Float64), cast(t, w, tensor.Float64), seq(4))
}

// TestFusedAdd checks the fused residual Add (Conv2D, bias or batch norm,
// Add, activation) against the separate kernels, with a same-shape addend
// and with addends that broadcast.
func TestFusedAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 3))
	x, w := randF32(r, 2, 5, 5, 3), randF32(r, 3, 3, 3, 8)
	conv := attrs{"strides": []int{1, 1, 1, 1}, "padding": "SAME"}
	y := run(t, "Conv2D", conv, x, w)[0]
	bias := randF32(r, 8)
	for _, addend := range []*tensor.Tensor{randF32(r, 2, 5, 5, 8), randF32(r, 1, 5, 1, 8), randF32(r, 8)} {
		for _, act := range []string{"", "Relu", "Relu6", "Tanh"} {
			want := run(t, "AddV2", nil, run(t, "BiasAdd", nil, y, bias)[0], addend)[0]
			fused := []string{"BiasAdd", "Add"}
			if act != "" {
				want = run(t, act, nil, want)[0]
				fused = append(fused, act)
			}
			a := attrs{"strides": conv["strides"], "padding": "SAME", "fused_ops": fused, "num_args": 2}
			got := run(t, "_FusedConv2D", a, x, w, bias, addend)[0]
			check(t, got, want, 1e-5)
		}
	}
	// With a batch norm: 4 arguments, then the addend.
	scale, offset, mean, variance := randF32(r, 8), randF32(r, 8), randF32(r, 8), randF32(r, 8)
	for i, v := range variance.Float32s() {
		variance.Float32s()[i] = v*v + 0.5
	}
	addend := randF32(r, 2, 5, 5, 8)
	bn := run(t, "FusedBatchNormV3", attrs{"is_training": false, "epsilon": float32(0.001)}, y, scale, offset, mean, variance)[0]
	want := run(t, "Relu", nil, run(t, "AddV2", nil, bn, addend)[0])[0]
	a := attrs{"strides": conv["strides"], "padding": "SAME", "fused_ops": []string{"FusedBatchNorm", "Add", "Relu"}, "num_args": 5, "epsilon": float32(0.001)}
	check(t, run(t, "_FusedConv2D", a, x, w, scale, offset, mean, variance, addend)[0], want, 1e-5)
	runErr(t, "Add argument", "_FusedConv2D", attrs{"strides": conv["strides"], "padding": "SAME", "fused_ops": []string{"BiasAdd", "Add"}, "num_args": 2}, x, w, bias, i32(sh(1), 1))
	runErr(t, "incompatible shapes", "_FusedConv2D", attrs{"strides": conv["strides"], "padding": "SAME", "fused_ops": []string{"BiasAdd", "Add"}, "num_args": 2}, x, w, bias, randF32(r, 3))
}
