package runtime_test

import (
	"context"
	"fmt"

	"github.com/tfhub-go/tfhub/graph"
	"github.com/tfhub-go/tfhub/graph/ops"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/tensor"
)

// A session optimizes the graph it runs: here the Conv2D, its BiasAdd and
// the Relu6 become one _FusedConv2D node, whose kernel time the profile
// shows.
func ExampleSession_OpProfile() {
	g := graph.NewGraph()
	x := ops.Placeholder(g, tensor.Float32, graph.MakeShape(1, 4, 4, 1), graph.Name("x"))
	w := g.Bind(ops.Const(tensor.New([]float32{1, 2, 3, 4}, 2, 2, 1, 1)))
	b := g.Bind(ops.Const(tensor.New([]float32{-1}, 1)))
	y := ops.Relu6(ops.BiasAdd(ops.Conv2D(x, w, []int{1, 1, 1, 1}, "VALID"), b))
	gd, _ := g.GraphDef()
	s, _ := runtime.NewSession(gd, runtime.Options{})
	in := tensor.New([]float32{0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0}, 1, 4, 4, 1)
	feeds := map[string]*tensor.Tensor{x.Name(): in}
	s.Run(context.Background(), feeds, []string{y.Name()}, nil) // plans, optimizes, decodes constants
	s.SetProfiling(true)
	out, _ := s.Run(context.Background(), feeds, []string{y.Name()}, nil)
	fmt.Println(out[0].Float32s())
	st := s.OptimizeStats()
	fmt.Printf("fused %d node(s)\n", st.Fused)
	for _, p := range s.OpProfile() {
		fmt.Printf("%s ran %d time(s)\n", p.Op, p.Calls)
	}
	// Output:
	// [4 4 4 4 4 4 4 4 4]
	// fused 1 node(s)
	// _FusedConv2D ran 1 time(s)
}
