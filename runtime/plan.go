package runtime

import (
	"fmt"
	"sort"
	"strings"
)

// staticFrame is a loop body found in the graph: the nodes between a
// loop's Enter and Exit nodes.
type staticFrame struct {
	id, parent int
	name       string
	nodes      []int // node ids in this frame
	exits      []int // Exit node ids in this frame
}

// plan is the pruned, analyzed subgraph needed for one (feeds, fetches,
// targets) combination. It is immutable and cached.
type plan struct {
	g          *Graph
	needed     []bool
	order      []int         // needed node ids
	fedIn      map[int][]int // node id -> per input slot: feed index or -1
	pending    []int         // initial pending count per node id
	frameOf    []int         // static frame id per node id
	idxIn      []int         // index of the node within its frame's nodes
	frames     []*staticFrame
	enterFrame map[int]int // Enter node id -> the frame its outputs go to
	fetches    []tensorRef
	fetchFed   []int               // feed index when a fetch is fed directly, else -1
	fetchAt    map[tensorRef][]int // produced tensor -> fetch indices
	feedRefs   []tensorRef
	stats      OptimizeStats // what the optimizer did to g
}

func planKey(feeds, fetches, targets []string) string {
	return strings.Join(feeds, ",") + "|" + strings.Join(fetches, ",") + "|" + strings.Join(targets, ",")
}

func (g *Graph) newPlan(feeds, fetches, targets []string) (*plan, error) {
	p := &plan{g: g, fedIn: map[int][]int{}, fetchAt: map[tensorRef][]int{}}
	n := len(g.nodes)
	fed := map[tensorRef]int{}
	for i, f := range feeds {
		r, err := g.lookupTensor(f)
		if err != nil {
			return nil, err
		}
		if r.slot >= g.numOutputs(r.node) && g.nodes[r.node].kind != kindArg {
			// Feeding an output nobody consumes is harmless but suspicious.
		}
		fed[r] = i
		p.feedRefs = append(p.feedRefs, r)
	}
	// Reverse reachability from fetches and targets, stopping at fed tensors.
	p.needed = make([]bool, n)
	var stack []int
	mark := func(id int) {
		if !p.needed[id] {
			p.needed[id] = true
			stack = append(stack, id)
		}
	}
	for _, f := range fetches {
		r, err := g.lookupTensor(f)
		if err != nil {
			return nil, err
		}
		p.fetches = append(p.fetches, r)
		if fi, ok := fed[r]; ok {
			p.fetchFed = append(p.fetchFed, fi)
			continue
		}
		p.fetchFed = append(p.fetchFed, -1)
		p.fetchAt[r] = append(p.fetchAt[r], len(p.fetches)-1)
		mark(r.node)
	}
	for _, t := range targets {
		name := strings.TrimPrefix(t, "^")
		if i := strings.IndexByte(name, ':'); i >= 0 {
			name = name[:i]
		}
		id, ok := g.byName[name]
		if !ok {
			return nil, fmt.Errorf("runtime: %w: target node %q", ErrNotFound, name)
		}
		mark(id)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := g.nodes[id]
		for _, e := range nd.inputs {
			if _, ok := fed[tensorRef{e.src, e.slot}]; ok {
				continue
			}
			mark(e.src)
		}
		for _, c := range nd.controls {
			mark(c)
		}
	}
	p.pending = make([]int, n)
	for id, nd := range g.nodes {
		if !p.needed[id] {
			continue
		}
		p.order = append(p.order, id)
		var fi []int
		cnt := 0
		for slot, e := range nd.inputs {
			if f, ok := fed[tensorRef{e.src, e.slot}]; ok {
				if fi == nil {
					fi = make([]int, len(nd.inputs))
					for i := range fi {
						fi[i] = -1
					}
				}
				fi[slot] = f
				continue
			}
			cnt++
		}
		if fi != nil {
			p.fedIn[id] = fi
		}
		if nd.kind == kindMerge {
			cnt = 0
		}
		cnt += len(nd.controls)
		p.pending[id] = cnt
		if nd.kind == kindArg {
			if _, ok := fed[tensorRef{id, 0}]; !ok {
				return nil, fmt.Errorf("runtime: function argument %s is not fed", nd.def.Name)
			}
		}
	}
	if err := p.assignFrames(); err != nil {
		return nil, err
	}
	return p, nil
}

func (g *Graph) numOutputs(id int) int { return len(g.nodes[id].outs) }

// assignFrames finds the loop frame of every needed node, as TensorFlow's
// executor does: Enter moves into a child frame, Exit back to the parent.
func (p *plan) assignFrames() error {
	g := p.g
	n := len(g.nodes)
	p.frameOf = make([]int, n)
	p.idxIn = make([]int, n)
	for i := range p.frameOf {
		p.frameOf[i] = -1
	}
	p.frames = []*staticFrame{{id: 0, parent: -1}}
	p.enterFrame = map[int]int{}
	childOf := map[string]int{} // "parent/name" -> frame id
	var queue []int
	// Nodes whose data inputs are all fed (or absent) and that have no
	// control inputs start in the root frame.
	for _, id := range p.order {
		nd := g.nodes[id]
		if len(nd.controls) > 0 {
			continue
		}
		fi := p.fedIn[id]
		allFed := true
		for slot := range nd.inputs {
			if fi == nil || fi[slot] < 0 {
				allFed = false
				break
			}
		}
		if allFed {
			p.frameOf[id] = 0
			queue = append(queue, id)
		}
	}
	sort.Ints(queue)
	outFrame := func(src int) (int, error) {
		sn := g.nodes[src]
		f := p.frameOf[src]
		switch sn.kind {
		case kindEnter:
			key := fmt.Sprintf("%d/%s", f, sn.frameName)
			if c, ok := childOf[key]; ok {
				p.enterFrame[src] = c
				return c, nil
			}
			c := len(p.frames)
			p.frames = append(p.frames, &staticFrame{id: c, parent: f, name: sn.frameName})
			childOf[key] = c
			p.enterFrame[src] = c
			return c, nil
		case kindExit:
			if f == 0 {
				return 0, fmt.Errorf("runtime: Exit node %s is not inside a loop", sn.def.Name)
			}
			return p.frames[f].parent, nil
		}
		return f, nil
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		nd := g.nodes[id]
		visit := func(dst int) error {
			if !p.needed[dst] {
				return nil
			}
			f, err := outFrame(id)
			if err != nil {
				return err
			}
			if p.frameOf[dst] < 0 {
				p.frameOf[dst] = f
				queue = append(queue, dst)
			} else if p.frameOf[dst] != f && g.nodes[dst].kind != kindMerge {
				return fmt.Errorf("runtime: node %s has inputs from different loop frames", g.nodes[dst].def.Name)
			}
			return nil
		}
		for _, cs := range nd.outs {
			for _, c := range cs {
				if err := visit(c.dst); err != nil {
					return err
				}
			}
		}
		for _, c := range nd.ctrlOuts {
			if err := visit(c); err != nil {
				return err
			}
		}
	}
	for _, id := range p.order {
		f := p.frameOf[id]
		if f < 0 {
			return fmt.Errorf("runtime: node %s can never run (its inputs form a cycle without a loop)", g.nodes[id].def.Name)
		}
		sf := p.frames[f]
		p.idxIn[id] = len(sf.nodes)
		sf.nodes = append(sf.nodes, id)
		if g.nodes[id].kind == kindExit {
			sf.exits = append(sf.exits, id)
		}
	}
	return nil
}
