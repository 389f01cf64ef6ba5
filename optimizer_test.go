package tfhub_test

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tfhub-go/tfhub"
	"github.com/tfhub-go/tfhub/archive"
	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/keras"
	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

const sharedTestdata = "../shared/testdata"

// optimizerCase is one model directory to load with and without the
// load-time optimizer.
type optimizerCase struct {
	name string
	dir  string
	tags []string
	// inputs feeds signature inputs that random values cannot stand for
	// (serialized Examples, real images); nil means generated.
	inputs func(t *testing.T, sig *savedmodel.Signature) map[string]*tensor.Tensor
	// wantFused is the least number of fused nodes the optimizer must
	// create (so that the comparison is not vacuous).
	wantFused int
}

// TestOptimizerKeepsOutputs loads every model of ../shared/testdata and
// models the project exports with and without the load-time optimizer,
// calls every signature with the same inputs in the same order, and
// checks that the outputs agree to float rounding (and that errors are
// the same errors).
func TestOptimizerKeepsOutputs(t *testing.T) {
	var cases []optimizerCase
	if entries, err := os.ReadDir(filepath.Join(sharedTestdata, "savedmodels")); err == nil {
		for _, e := range entries {
			c := optimizerCase{name: e.Name(), dir: filepath.Join(sharedTestdata, "savedmodels", e.Name()), inputs: exampleInputs}
			if e.Name() == "regression_tf1" {
				c.tags = []string{"serve", "train"}
			}
			cases = append(cases, c)
		}
	} else {
		t.Logf("skipping the TF-written SavedModels: %v", err)
	}
	for _, name := range []string{"gender", "facemesh-detection-short"} {
		for _, variant := range []string{"frozen", "variables_variant"} {
			base := filepath.Join(sharedTestdata, "converted", name)
			if _, err := os.Stat(base); err != nil {
				t.Logf("skipping converted model %s: %v", name, err)
				continue
			}
			cases = append(cases, optimizerCase{name: name + "/" + variant, dir: filepath.Join(base, variant), tags: []string{"serve"}, wantFused: 5,
				inputs: func(t *testing.T, sig *savedmodel.Signature) map[string]*tensor.Tensor {
					in := map[string]*tensor.Tensor{}
					for _, s := range sig.Inputs {
						x, err := tensor.LoadNPY(filepath.Join(base, "in_"+s.Key+".npy"))
						if err != nil {
							t.Fatal(err)
						}
						in[s.Key] = x
					}
					return in
				}})
		}
	}
	if hub := filepath.Join(sharedTestdata, "hub", "half_plus_two_v1.tar.gz"); fileExists(hub) {
		dir := t.TempDir()
		f, err := os.Open(hub)
		if err != nil {
			t.Fatal(err)
		}
		_, err = archive.Extract(context.Background(), f, dir)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, optimizerCase{name: "hub/half_plus_two_v1", dir: dir, tags: []string{}})
	}
	cases = append(cases, optimizerCase{name: "own/conv_export", dir: exportConvModel(t), wantFused: 4})
	cases = append(cases, optimizerCase{name: "own/seed_export", dir: exportSeedModel(t), wantFused: 1,
		inputs: func(t *testing.T, sig *savedmodel.Signature) map[string]*tensor.Tensor {
			v := make([]int32, 3*28*28)
			for i := range v {
				v[i] = int32(i * 7 % 256)
			}
			return map[string]*tensor.Tensor{sig.Inputs[0].Key: tensor.New(v, 3, 28, 28)}
		}})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			var opts []savedmodel.Option
			if c.tags != nil {
				opts = append(opts, savedmodel.WithTags(c.tags...))
			}
			plain, err := savedmodel.Load(ctx, c.dir, append(opts, savedmodel.WithoutOptimizer())...)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := savedmodel.Load(ctx, c.dir, opts...)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 3))
			for _, name := range plain.SignatureNames() {
				sig := plain.Signature(name)
				var in map[string]*tensor.Tensor
				if c.inputs != nil {
					in = c.inputs(t, sig)
				}
				if in == nil {
					in = randomInputs(r, sig)
				}
				want, werr := sig.Call(ctx, in)
				got, gerr := opt.Signature(name).Call(ctx, in)
				if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
					t.Fatalf("signature %s: error %v without the optimizer, %v with it", name, werr, gerr)
				}
				for k, w := range want {
					if err := tensor.Diff(got[k], w, 1e-5, 1e-5); err != nil {
						t.Errorf("signature %s output %s: %v", name, k, err)
					}
				}
				if werr == nil {
					t.Logf("signature %s: %d outputs agree", name, len(want))
				}
			}
			st := opt.Session().OptimizeStats()
			t.Logf("optimizer: %+v", st)
			if c.wantFused > 0 && st.Fused < c.wantFused {
				t.Errorf("the optimizer fused %d nodes, want at least %d", st.Fused, c.wantFused)
			}
			if st := plain.Session().OptimizeStats(); st.Fused+st.Folded > 0 {
				t.Errorf("WithoutOptimizer: the optimizer still ran: %+v", st)
			}
		})
	}
}

// exampleInputs feeds serialized tf.train.Examples (x=1, from the
// testdata README) to string inputs, and random values to the others.
func exampleInputs(t *testing.T, sig *savedmodel.Signature) map[string]*tensor.Tensor {
	hasString := false
	for _, s := range sig.Inputs {
		hasString = hasString || s.Spec.DType == tensor.String
	}
	if !hasString {
		return nil
	}
	ex, _ := hex.DecodeString("0a0f0a0d0a0178120812060a040000803f")
	in := map[string]*tensor.Tensor{}
	r := rand.New(rand.NewPCG(4, 4))
	for _, s := range sig.Inputs {
		if s.Spec.DType == tensor.String {
			in[s.Key] = tensor.New([]string{string(ex)}, 1)
			if s.Spec.Shape != nil && len(s.Spec.Shape) == 0 && !s.Spec.UnknownRank {
				in[s.Key] = tensor.Scalar(string(ex))
			}
			continue
		}
		in[s.Key] = randomTensor(r, s.Spec)
	}
	return in
}

// randomInputs fills every input of sig with random values of its
// declared type, unknown dimensions set to 2.
func randomInputs(r *rand.Rand, sig *savedmodel.Signature) map[string]*tensor.Tensor {
	in := map[string]*tensor.Tensor{}
	for _, s := range sig.Inputs {
		in[s.Key] = randomTensor(r, s.Spec)
	}
	return in
}

func randomTensor(r *rand.Rand, sp tensor.Spec) *tensor.Tensor {
	shape := slices.Clone(sp.Shape)
	if sp.UnknownRank {
		shape = []int{2}
	}
	n := 1
	for i, d := range shape {
		if d < 0 {
			shape[i] = 2
		}
		n *= shape[i]
	}
	switch sp.DType {
	case tensor.Float64:
		v := make([]float64, n)
		for i := range v {
			v[i] = r.Float64()*2 - 1
		}
		return tensor.New(v, shape...)
	case tensor.Int32:
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(r.IntN(10))
		}
		return tensor.New(v, shape...)
	case tensor.Int64:
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.IntN(10))
		}
		return tensor.New(v, shape...)
	case tensor.String:
		v := make([]string, n)
		for i := range v {
			v[i] = strings.Repeat("a", i)
		}
		return tensor.New(v, shape...)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return tensor.New(v, shape...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// exportConvModel saves a small untrained convolutional Keras model
// (Conv2D+relu, batch norm, Conv2D, Conv2D without bias + batch norm +
// relu, pooling, Dense softmax) made by the project, for the optimizer to
// rewrite.
func exportConvModel(t *testing.T) string {
	t.Helper()
	keras.SetRandomSeed(5)
	in := keras.Input([]int{12, 12, 3}, tensor.Float32)
	x := keras.Conv2D(8, 3, keras.WithActivation("relu"), keras.WithPadding("same")).Apply(in)
	x = keras.BatchNormalization().Apply(x)
	x = keras.Conv2D(16, 3, keras.WithStrides(2, 2), keras.WithActivation("relu")).Apply(x)
	// Conv2D without bias, batch norm, relu: one fused node at inference.
	x = keras.Conv2D(16, 1, keras.WithUseBias(false)).Apply(x)
	x = keras.BatchNormalization().Apply(x)
	x = keras.Activation("relu").Apply(x)
	x = keras.GlobalAveragePooling2D().Apply(x)
	out := keras.Dense(5, keras.WithActivation("softmax")).Apply(x)
	m := keras.Model(in, out)
	dir := filepath.Join(t.TempDir(), "conv")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	// The module also loads through tfhub.Load with and without the
	// optimizer.
	for _, opts := range [][]tfhub.Option{nil, {tfhub.WithoutOptimizer()}} {
		if _, err := tfhub.Load(context.Background(), dir, opts...); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// exportSeedModel saves the seed model of the README (flatten, cast/255,
// dense softmax), untrained, as the project exports it.
func exportSeedModel(t *testing.T) string {
	t.Helper()
	keras.SetRandomSeed(6)
	in := keras.Input([]int{28, 28}, tensor.Int32)
	x := keras.Flatten().Apply(in)
	x = keras.Lambda(func(x graph.Output) graph.Output { return ops.Div(ops.Cast(x, tensor.Float32), ops.Scalar(255)) }).Apply(x)
	m := keras.Model(in, keras.Dense(10, keras.WithActivation("softmax")).Apply(x))
	dir := filepath.Join(t.TempDir(), "seed")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}
