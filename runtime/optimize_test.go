package runtime_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/internal/tfpb"
	_ "github.com/tfhub-go/tfhub/kernels/all"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/tensor"
)

func randConst(g *graph.Graph, r *rand.Rand, shape ...int) graph.Output {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return g.Bind(ops.Const(tensor.New(v, shape...)))
}

func positiveConst(g *graph.Graph, r *rand.Rand, n int) graph.Output {
	v := make([]float32, n)
	for i := range v {
		v[i] = r.Float32() + 0.5
	}
	return g.Bind(ops.Const(tensor.New(v, n)))
}

// runBoth runs gd with and without the optimizer and returns both
// results and the optimized session's stats.
func runBoth(t *testing.T, gd *tfpb.GraphDef, feeds map[string]*tensor.Tensor, fetches []string) (got, want []*tensor.Tensor, st runtime.OptimizeStats) {
	t.Helper()
	orig := proto.Clone(gd).(*tfpb.GraphDef)
	ctx := context.Background()
	plain, err := runtime.NewSession(gd, runtime.Options{DisableOptimizer: true, NoBufferReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err = plain.Run(ctx, feeds, fetches, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := plain.OptimizeStats(); s != (runtime.OptimizeStats{}) {
		t.Fatalf("DisableOptimizer: stats %+v", s)
	}
	opt, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err = opt.Run(ctx, feeds, fetches, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(orig, gd) {
		t.Fatal("the optimizer modified the caller's GraphDef")
	}
	for i := range want {
		if err := tensor.Diff(got[i], want[i], 1e-5, 1e-5); err != nil {
			t.Fatalf("fetch %s: %v", fetches[i], err)
		}
	}
	return got, want, opt.OptimizeStats()
}

// TestOptimizerFusesMobileNetBlock checks a MobileNet block: Conv2D and
// DepthwiseConv2dNative with batch norms and Relu6, then a MatMul with
// BiasAdd and Relu. With constant weights the batch norms fold into the
// filters; with fed batch-norm parameters they are applied by the fused
// op.
func TestOptimizerFusesMobileNetBlock(t *testing.T) {
	for _, constBN := range []bool{true, false} {
		r := rand.New(rand.NewPCG(1, 2))
		g := graph.NewGraph()
		x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(2, 9, 9, 3), graph.Name("x"))
		feeds := map[string]*tensor.Tensor{}
		bn := func(h graph.Output, c int, name string) graph.Output {
			scale, offset, mean, variance := randConst(g, r, c), randConst(g, r, c), randConst(g, r, c), positiveConst(g, r, c)
			if !constBN {
				scale = ops.Placeholder(g, tensor.Float32, graph.MakeShape(c), graph.Name(name+"_scale"))
				v := make([]float32, c)
				for i := range v {
					v[i] = r.Float32() + 0.5
				}
				feeds[scale.Name()] = tensor.New(v, c)
			}
			y, _, _, _, _, _ := ops.FusedBatchNormV3(h, scale, offset, mean, variance, graph.Attr("is_training", false), graph.Attr("epsilon", float32(0.01)))
			return y
		}
		h := ops.Relu6(bn(ops.Conv2D(x, randConst(g, r, 3, 3, 3, 16), []int{1, 2, 2, 1}, "SAME"), 16, "bn1"))
		h = ops.Relu6(bn(ops.DepthwiseConv2dNative(h, randConst(g, r, 3, 3, 16, 2), []int{1, 1, 1, 1}, "SAME"), 32, "bn2"))
		h = bn(ops.Conv2D(h, randConst(g, r, 1, 1, 32, 8), []int{1, 1, 1, 1}, "VALID"), 8, "bn3")
		h = ops.Reshape(h, g.Bind(ops.Const(tensor.New([]int32{2, -1}, 2))))
		y := ops.Relu(ops.BiasAdd(ops.MatMul(h, randConst(g, r, 200, 10)), randConst(g, r, 10)))
		gd, err := g.GraphDef()
		if err != nil {
			t.Fatal(err)
		}
		xv := make([]float32, 2*9*9*3)
		for i := range xv {
			xv[i] = r.Float32()
		}
		feeds[x.Name()] = tensor.New(xv, 2, 9, 9, 3)
		_, _, st := runBoth(t, gd, feeds, []string{y.Name()})
		if st.Fused != 4 {
			t.Errorf("const batch norms %v: fused %d nodes, want 4 (%+v)", constBN, st.Fused, st)
		}
		want := 0
		if constBN {
			want = 3
		}
		if st.FoldedBatchNorms != want {
			t.Errorf("const batch norms %v: folded %d batch norms, want %d", constBN, st.FoldedBatchNorms, want)
		}
	}
}

// TestOptimizerKeepsFetchedIntermediates fetches the output of a BiasAdd
// that a Relu also consumes, and feeds the filter's producer: neither may
// disappear into a fused node.
func TestOptimizerKeepsFetchedIntermediates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 5, 5, 4), graph.Name("x"))
	w := ops.Identity(randConst(g, r, 3, 3, 4, 6), graph.Name("w"))
	conv := ops.Conv2D(x, w, []int{1, 1, 1, 1}, "SAME")
	bias := ops.BiasAdd(conv, randConst(g, r, 6), graph.Name("bias"))
	relu := ops.Relu(bias, graph.Name("relu"))
	// A second consumer of a conv output also blocks its fusion.
	conv2 := ops.Conv2D(x, randConst(g, r, 1, 1, 4, 6), []int{1, 1, 1, 1}, "SAME")
	sum := ops.AddV2(ops.BiasAdd(conv2, randConst(g, r, 6)), conv2)
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	xv := make([]float32, 100)
	for i := range xv {
		xv[i] = r.Float32() - 0.5
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(xv, 1, 5, 5, 4)}
	_, _, st := runBoth(t, gd, feeds, []string{relu.Name(), bias.Name(), sum.Name()})
	if st.Fused != 1 {
		t.Errorf("fused %d nodes, want 1 (Conv2D+BiasAdd ending at the fetched bias)", st.Fused)
	}
	// Feeding the filter (an Identity of a Const, foldable) must use the
	// fed value, not the folded one.
	wv := make([]float32, 3*3*4*6)
	for i := range wv {
		wv[i] = 1
	}
	feeds[w.Name()] = tensor.New(wv, 3, 3, 4, 6)
	runBoth(t, gd, feeds, []string{relu.Name()})
}

// TestOptimizerFoldsConstants folds a chain of constant computations
// (Cast, Mul, Shape-free arithmetic) and leaves stateful and fed nodes.
func TestOptimizerFoldsConstants(t *testing.T) {
	g := graph.NewGraph()
	c := g.Bind(ops.Const(tensor.New([]int32{1, 2, 3}, 3)))
	f := ops.Cast(c, tensor.Float32)
	two := g.Bind(ops.Const(tensor.Scalar(float32(2))))
	k := ops.Mul(ops.Square(f), two)
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(3), graph.Name("x"))
	y := ops.AddV2(x, k)
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New([]float32{1, 1, 1}, 3)}
	got, _, st := runBoth(t, gd, feeds, []string{y.Name()})
	if st.Folded < 1 {
		t.Errorf("folded %d nodes, want the constant chain folded", st.Folded)
	}
	if w := []float32{3, 9, 19}; !equalF32(got[0].Float32s(), w) {
		t.Errorf("got %v, want %v", got[0].Float32s(), w)
	}
	// Feeding a foldable intermediate overrides it.
	feeds[k.Name()] = tensor.New([]float32{0, 0, 0}, 3)
	got, _, _ = runBoth(t, gd, feeds, []string{y.Name()})
	if w := []float32{1, 1, 1}; !equalF32(got[0].Float32s(), w) {
		t.Errorf("with %s fed: got %v, want %v", k.Name(), got[0].Float32s(), w)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOptimizerMovesControlInputs checks that control inputs of the
// nodes a fused node replaces are kept: a stateful counter that only the
// BiasAdd depends on still runs.
func TestOptimizerMovesControlInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 3, 3, 2), graph.Name("x"))
	v := ops.VarHandleOp(g, "v", tensor.Float32, graph.MakeShape())
	inc := ops.AssignAddVariableOp(v, g.Bind(ops.Const(tensor.Scalar(float32(1)))))
	conv := ops.Conv2D(x, randConst(g, r, 1, 1, 2, 3), []int{1, 1, 1, 1}, "SAME")
	y := ops.Relu(ops.BiasAdd(conv, randConst(g, r, 3), graph.ControlInputs(inc)))
	read := ops.ReadVariableOp(v, tensor.Float32)
	init := ops.AssignVariableOp(v, g.Bind(ops.Const(tensor.Scalar(float32(0)))))
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Run(ctx, nil, nil, []string{init.Name()}); err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(make([]float32, 18), 1, 3, 3, 2)}
	for range 2 {
		if _, err := s.Run(ctx, feeds, []string{y.Name()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.OptimizeStats(); st.Fused != 1 {
		t.Errorf("fused %d, want 1", st.Fused)
	}
	out, err := s.Run(ctx, nil, []string{read.Name()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Float32s()[0]; got != 2 {
		t.Errorf("counter is %v after two runs, want 2: the control input was lost", got)
	}
}

// TestOpProfile checks the kernel profile: nothing is recorded while it
// is off, and each node's op is counted once per run while it is on.
func TestOpProfile(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 6, 6, 2), graph.Name("x"))
	y := ops.Relu(ops.AddV2(ops.Conv2D(x, randConst(g, r, 3, 3, 2, 4), []int{1, 1, 1, 1}, "SAME"), randConst(g, r, 4)))
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	s, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(make([]float32, 72), 1, 6, 6, 2)}
	run := func() {
		if _, err := s.Run(context.Background(), feeds, []string{y.Name()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if p := s.OpProfile(); len(p) != 0 {
		t.Fatalf("profile recorded while off: %v", p)
	}
	s.SetProfiling(true)
	run()
	run()
	s.SetProfiling(false)
	run()
	calls := map[string]int64{}
	for _, p := range s.OpProfile() {
		calls[p.Op] = p.Calls
		if p.Total <= 0 {
			t.Errorf("%s: no time recorded", p.Op)
		}
	}
	for _, op := range []string{"Conv2D", "AddV2", "Relu"} {
		if calls[op] != 2 {
			t.Errorf("%s counted %d times over 2 profiled runs (profile %v)", op, calls[op], s.OpProfile())
		}
	}
	s.ResetProfile()
	if p := s.OpProfile(); len(p) != 0 {
		t.Fatalf("profile after reset: %v", p)
	}
}

// TestOptimizerFusesResidualBlocks checks ResNet bottleneck blocks, whose
// Add joins two convolution chains (with a projection shortcut) or a
// chain and the block input: each Add and its Relu go into one fused
// convolution, never both.
func TestOptimizerFusesResidualBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 1))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 8, 8, 8), graph.Name("x"))
	bn := func(h graph.Output, c int) graph.Output {
		y, _, _, _, _, _ := ops.FusedBatchNormV3(h, positiveConst(g, r, c), randConst(g, r, c), randConst(g, r, c), positiveConst(g, r, c), graph.Attr("is_training", false))
		return y
	}
	conv := func(h graph.Output, k, in, out, stride int) graph.Output {
		return bn(ops.Conv2D(h, randConst(g, r, k, k, in, out), []int{1, stride, stride, 1}, "SAME"), out)
	}
	h := x
	in := 8
	for i, stride := range []int{2, 1} {
		y := ops.Relu(conv(h, 1, in, 4, 1))
		y = ops.Relu(conv(y, 3, 4, 4, stride))
		y = conv(y, 1, 4, 16, 1)
		short := h
		if i == 0 {
			short = conv(h, 1, in, 16, stride) // projection: an Add of two chains
		}
		h, in = ops.Relu(ops.AddV2(y, short)), 16
	}
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	xv := make([]float32, 8*8*8)
	for i := range xv {
		xv[i] = r.Float32()*2 - 1
	}
	_, _, st := runBoth(t, gd, map[string]*tensor.Tensor{x.Name(): tensor.New(xv, 1, 8, 8, 8)}, []string{h.Name()})
	if st.Fused != 7 || st.FoldedBatchNorms != 7 || st.FusedAdds != 2 {
		t.Errorf("fused %d convolutions (%d batch norms folded, %d Adds), want 7, 7 and 2", st.Fused, st.FoldedBatchNorms, st.FusedAdds)
	}
}

// TestOptimizerRandomGraphs builds random chains and webs of the patterns
// the optimizer rewrites (convolutions, depthwise and matrix products,
// BiasAdd, batch norms with constant or fed parameters, Add, activations,
// extra consumers of intermediate tensors), fetches and feeds random
// intermediate tensors, and compares every fetch with the unoptimized
// graph's.
func TestOptimizerRandomGraphs(t *testing.T) {
	var total runtime.OptimizeStats
	defer func() {
		t.Logf("over all graphs: %+v", total)
		if total.Fused < 100 || total.FoldedBatchNorms == 0 || total.FusedAdds == 0 {
			t.Errorf("the random graphs exercised too little of the optimizer: %+v", total)
		}
	}()
	for seed := range 150 {
		r := rand.New(rand.NewPCG(uint64(seed), 77))
		g := graph.NewGraph()
		const c = 4
		x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 6, 6, c), graph.Name("x"))
		feeds := map[string]*tensor.Tensor{}
		pool := []graph.Output{x}
		var fetchable []graph.Output
		pick := func() graph.Output { return pool[r.IntN(len(pool))] }
		for range 3 + r.IntN(8) {
			h := pick()
			switch r.IntN(3) {
			case 0:
				h = ops.Conv2D(h, randConst(g, r, 3, 3, c, c), []int{1, 1, 1, 1}, "SAME")
			case 1:
				h = ops.DepthwiseConv2dNative(h, randConst(g, r, 3, 3, c, 1), []int{1, 1, 1, 1}, "SAME")
			default:
				h = ops.Conv2D(h, randConst(g, r, 1, 1, c, c), []int{1, 1, 1, 1}, "VALID")
			}
			fetchable = append(fetchable, h)
			switch r.IntN(3) {
			case 0:
				h = ops.BiasAdd(h, randConst(g, r, c))
			case 1:
				scale := positiveConst(g, r, c)
				if r.IntN(2) == 0 {
					scale = ops.Placeholder(g, tensor.Float32, graph.MakeShape(c), graph.Name("scale"))
					feeds[scale.Name()] = tensor.New([]float32{1, 0.5, 2, 1.5}, c)
				}
				h, _, _, _, _, _ = ops.FusedBatchNormV3(h, scale, randConst(g, r, c), randConst(g, r, c), positiveConst(g, r, c), graph.Attr("is_training", false))
			}
			fetchable = append(fetchable, h)
			if r.IntN(2) == 0 {
				h = ops.AddV2(h, pick())
				fetchable = append(fetchable, h)
			}
			switch r.IntN(4) {
			case 0:
				h = ops.Relu(h)
			case 1:
				h = ops.Relu6(h)
			case 2:
				h = ops.Tanh(h)
			}
			pool = append(pool, h)
			fetchable = append(fetchable, h)
		}
		// Fetch the last tensor and a few random ones; feed one random
		// intermediate tensor (with its own value) sometimes.
		fetches := []string{pool[len(pool)-1].Name()}
		for range r.IntN(3) {
			fetches = append(fetches, fetchable[r.IntN(len(fetchable))].Name())
		}
		xv := make([]float32, 36*c)
		for i := range xv {
			xv[i] = r.Float32()*2 - 1
		}
		feeds[x.Name()] = tensor.New(xv, 1, 6, 6, c)
		if r.IntN(3) == 0 {
			f := fetchable[r.IntN(len(fetchable))]
			v := make([]float32, 36*c)
			for i := range v {
				v[i] = r.Float32()
			}
			feeds[f.Name()] = tensor.New(v, 1, 6, 6, c)
		}
		gd, err := g.GraphDef()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			_, _, st := runBoth(t, gd, feeds, dedupeNames(fetches))
			total.Fused += st.Fused
			total.FoldedBatchNorms += st.FoldedBatchNorms
			total.FusedAdds += st.FusedAdds
		})
	}
}

func dedupeNames(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
