package runtime

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

type nodeKind uint8

const (
	kindNormal nodeKind = iota
	kindSwitch
	kindMerge
	kindEnter
	kindExit
	kindNextIteration
	kindLoopCond
	kindArg      // function argument: must be fed
	kindFunction // a call of a library function by op name
)

// edge is one data input: output slot of node src.
type edge struct {
	src, slot int
}

// consumer is one data consumer of an output: input slot of node dst.
type consumer struct {
	dst, slot int
}

type node struct {
	id       int
	def      *tfpb.NodeDef
	kdef     *kernels.Def
	kind     nodeKind
	inputs   []edge
	controls []int
	outs     [][]consumer // per output slot
	ctrlOuts []int

	frameName  string // Enter: the child frame's name
	isConstant bool   // Enter: loop-invariant

	// escapes is nodeEscapes of the node: its inputs and allocations
	// stay out of the buffer pool.
	escapes bool

	// constVal caches the value of a Const node, decoded once per
	// session: graphs compiled from the same NodeDef share the slot.
	constVal *atomic.Pointer[tensor.Tensor]
}

func (n *node) Name() string { return n.def.Name }
func (n *node) Op() string   { return n.def.Op }
func (n *node) Attr(name string) (*tfpb.AttrValue, bool) {
	a, ok := n.def.Attr[name]
	return a, ok
}

// Graph is a compiled GraphDef: nodes indexed, inputs resolved, consumers
// listed. It is immutable and shared by concurrent runs.
type Graph struct {
	nodes  []*node
	byName map[string]int
	lib    *Library
}

// MissingOpsError lists the ops of a graph that have no kernel, each with
// one node that uses it.
type MissingOpsError struct {
	Ops map[string]string // op -> a node (or "function/node") using it
}

func (e *MissingOpsError) Error() string {
	ops := make([]string, 0, len(e.Ops))
	for op := range e.Ops {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var b strings.Builder
	fmt.Fprintf(&b, "%d op(s) without a kernel:", len(ops))
	for _, op := range ops {
		fmt.Fprintf(&b, " %s (node %s);", op, e.Ops[op])
	}
	return strings.TrimSuffix(b.String(), ";")
}

func (e *MissingOpsError) Unwrap() error { return kernels.ErrUnsupportedOp }

// parseInput splits a GraphDef input "name", "name:3" or "^name".
func parseInput(s string) (name string, slot int, control bool, err error) {
	if strings.HasPrefix(s, "^") {
		return s[1:], -1, true, nil
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 {
			return "", 0, false, fmt.Errorf("bad input name %q", s)
		}
		return s[:i], n, false, nil
	}
	return s, 0, false, nil
}

// compileGraph indexes nodes and resolves inputs. lib may be nil.
func compileGraph(defs []*tfpb.NodeDef, lib *Library) (*Graph, error) {
	g := &Graph{byName: make(map[string]int, len(defs)), lib: lib}
	missing := map[string]string{}
	for _, d := range defs {
		if _, dup := g.byName[d.Name]; dup {
			return nil, fmt.Errorf("runtime: duplicate node name %q", d.Name)
		}
		n := &node{id: len(g.nodes), def: d, constVal: lib.constSlot(d)}
		switch d.Op {
		case "Switch", "RefSwitch":
			n.kind = kindSwitch
		case "Merge", "RefMerge":
			n.kind = kindMerge
		case "Enter", "RefEnter":
			n.kind = kindEnter
			if a, ok := d.Attr["frame_name"]; ok {
				n.frameName = string(a.GetS())
			}
			if a, ok := d.Attr["is_constant"]; ok {
				n.isConstant = a.GetB()
			}
		case "Exit", "RefExit":
			n.kind = kindExit
		case "NextIteration", "RefNextIteration":
			n.kind = kindNextIteration
		case "LoopCond":
			n.kind = kindLoopCond
		case "_Arg":
			n.kind = kindArg
		}
		if kd, ok := kernels.Lookup(d.Op); ok {
			if kd.Refused != "" {
				return nil, fmt.Errorf("runtime: node %s: %w: %s: %s", d.Name, kernels.ErrRefusedOp, d.Op, kd.Refused)
			}
			n.kdef = kd
			n.escapes = nodeEscapes(d, kd)
		} else if n.kind == kindNormal {
			if lib != nil && lib.Has(d.Op) {
				n.kind = kindFunction
			} else if _, seen := missing[d.Op]; !seen {
				missing[d.Op] = d.Name
			}
		}
		g.byName[d.Name] = n.id
		g.nodes = append(g.nodes, n)
	}
	if len(missing) > 0 {
		return nil, &MissingOpsError{Ops: missing}
	}
	for _, n := range g.nodes {
		for _, in := range n.def.Input {
			name, slot, ctrl, err := parseInput(in)
			if err != nil {
				return nil, fmt.Errorf("runtime: node %s: %v", n.def.Name, err)
			}
			src, ok := g.byName[name]
			if !ok {
				return nil, fmt.Errorf("runtime: node %s: input %q names no node", n.def.Name, in)
			}
			if ctrl {
				n.controls = append(n.controls, src)
				g.nodes[src].ctrlOuts = append(g.nodes[src].ctrlOuts, n.id)
				continue
			}
			if len(n.controls) > 0 {
				return nil, fmt.Errorf("runtime: node %s: data input %q after a control input", n.def.Name, in)
			}
			sn := g.nodes[src]
			for len(sn.outs) <= slot {
				sn.outs = append(sn.outs, nil)
			}
			sn.outs[slot] = append(sn.outs[slot], consumer{dst: n.id, slot: len(n.inputs)})
			n.inputs = append(n.inputs, edge{src: src, slot: slot})
		}
	}
	return g, nil
}

// tensorRef is a parsed "node:slot" name.
type tensorRef struct {
	node, slot int
}

func (g *Graph) lookupTensor(name string) (tensorRef, error) {
	n, slot, ctrl, err := parseInput(name)
	if err != nil || ctrl {
		return tensorRef{}, fmt.Errorf("runtime: bad tensor name %q", name)
	}
	id, ok := g.byName[n]
	if !ok {
		return tensorRef{}, fmt.Errorf("runtime: %w: no node %q in the graph", ErrNotFound, n)
	}
	return tensorRef{id, slot}, nil
}

// Node returns the NodeDef of the named node.
func (g *Graph) Node(name string) (*tfpb.NodeDef, bool) {
	id, ok := g.byName[name]
	if !ok {
		return nil, false
	}
	return g.nodes[id].def, true
}
