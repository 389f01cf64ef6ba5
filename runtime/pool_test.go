package runtime_test

import (
	"context"
	"math/rand/v2"
	goruntime "runtime"
	"sync"
	"testing"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/tensor"
)

// viewGraph builds a small conv net whose intermediate tensors are viewed
// through Reshape, Identity, Split, Unpack, Squeeze and ExpandDims, and
// consumed again after those views; it returns the fetches, including an
// intermediate tensor that later nodes also consume.
func viewGraph(t *testing.T) (*tfpb.GraphDef, graph.Output, []string) {
	r := rand.New(rand.NewPCG(9, 9))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(2, 8, 8, 3), graph.Name("x"))
	h := ops.Relu6(ops.BiasAdd(ops.Conv2D(x, randConst(g, r, 3, 3, 3, 8), []int{1, 1, 1, 1}, "SAME"), randConst(g, r, 8)))
	d := ops.Relu(ops.DepthwiseConv2dNative(h, randConst(g, r, 3, 3, 8, 1), []int{1, 2, 2, 1}, "SAME"))
	flat := ops.Reshape(d, g.Bind(ops.Const(tensor.New([]int32{2, -1}, 2))))
	id := ops.Identity(flat)
	parts := ops.Split(g.Bind(ops.Const(tensor.Scalar(int32(1)))), id, 2)
	rows := ops.Unpack(parts[0], 2, graph.Attr("axis", 0))
	sq := ops.Squeeze(ops.ExpandDims(rows[1], g.Bind(ops.Const(tensor.Scalar(int32(0))))))
	// Consumers of d and h after the views were made.
	late := ops.AddV2(ops.Mul(sq, ops.Sum(d, g.Bind(ops.Const(tensor.New([]int32{0, 1, 2, 3}, 4))))), ops.Sum(parts[1], g.Bind(ops.Const(tensor.Scalar(int32(0))))))
	y := ops.AddV2(late, ops.Mean(h, g.Bind(ops.Const(tensor.New([]int32{0, 1, 2, 3}, 4)))))
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	return gd, x, []string{y.Name(), h.Name(), flat.Name(), rows[0].Name()}
}

func randInput(seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float32, 2*8*8*3)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return tensor.New(v, 2, 8, 8, 3)
}

// TestBufferReuseKeepsOutputs runs the view graph several times with and
// without buffer reuse: every fetch agrees, and fetched tensors keep their
// values after later runs reuse memory.
func TestBufferReuseKeepsOutputs(t *testing.T) {
	gd, x, fetches := viewGraph(t)
	ctx := context.Background()
	plain, err := runtime.NewSession(gd, runtime.Options{NoBufferReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]*tensor.Tensor
	var copies [][]*tensor.Tensor
	for run := range 4 {
		feeds := map[string]*tensor.Tensor{x.Name(): randInput(uint64(run))}
		want, err := plain.Run(ctx, feeds, fetches, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pooled.Run(ctx, feeds, fetches, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if err := tensor.Diff(got[i], want[i], 0, 0); err != nil {
				t.Fatalf("run %d fetch %s: %v", run, fetches[i], err)
			}
		}
		kept = append(kept, got)
		copies = append(copies, want)
	}
	for run := range kept {
		for i := range kept[run] {
			if err := tensor.Diff(kept[run][i], copies[run][i], 0, 0); err != nil {
				t.Fatalf("fetch %s of run %d changed after later runs: %v", fetches[i], run, err)
			}
		}
	}
}

// TestBufferReuseConcurrentRuns runs one session from several goroutines
// (go test -race checks the pool's locking): every result matches a
// serial run without reuse.
func TestBufferReuseConcurrentRuns(t *testing.T) {
	gd, x, fetches := viewGraph(t)
	ctx := context.Background()
	plain, err := runtime.NewSession(gd, runtime.Options{NoBufferReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := runtime.NewSession(gd, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]*tensor.Tensor, 4)
	for w := range want {
		if want[w], err = plain.Run(ctx, map[string]*tensor.Tensor{x.Name(): randInput(uint64(w))}, fetches, nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*8)
	for w := range 4 {
		wg.Go(func() {
			for range 8 {
				got, err := pooled.Run(ctx, map[string]*tensor.Tensor{x.Name(): randInput(uint64(w))}, fetches, nil)
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if err := tensor.Diff(got[i], want[w][i], 0, 0); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestBufferReuseSteadyState checks that, once warm, a run of a conv
// graph allocates far less memory with reuse than without.
func TestBufferReuseSteadyState(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 32, 32, 16), graph.Name("x"))
	h := x
	for range 4 {
		h = ops.Relu6(ops.BiasAdd(ops.Conv2D(h, randConst(g, r, 1, 1, 16, 16), []int{1, 1, 1, 1}, "SAME"), randConst(g, r, 16)))
		h = ops.AddV2(h, ops.Relu(ops.DepthwiseConv2dNative(h, randConst(g, r, 3, 3, 16, 1), []int{1, 1, 1, 1}, "SAME")))
	}
	y := ops.Sum(h, g.Bind(ops.Const(tensor.New([]int32{1, 2}, 2))))
	gd, err := g.GraphDef()
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, 32*32*16)
	for i := range in {
		in[i] = r.Float32()
	}
	feeds := map[string]*tensor.Tensor{x.Name(): tensor.New(in, 1, 32, 32, 16)}
	perRun := func(opts runtime.Options) uint64 {
		s, err := runtime.NewSession(gd, opts)
		if err != nil {
			t.Fatal(err)
		}
		run := func() {
			if _, err := s.Run(context.Background(), feeds, []string{y.Name()}, nil); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			run()
		}
		var a, b goruntime.MemStats
		goruntime.ReadMemStats(&a)
		for range 10 {
			run()
		}
		goruntime.ReadMemStats(&b)
		return (b.TotalAlloc - a.TotalAlloc) / 10
	}
	fresh := perRun(runtime.Options{NoBufferReuse: true})
	reused := perRun(runtime.Options{})
	t.Logf("bytes allocated per run: %d without reuse, %d with", fresh, reused)
	if reused*4 > fresh {
		t.Errorf("with reuse a run allocates %d bytes, more than a quarter of the %d without", reused, fresh)
	}
}
