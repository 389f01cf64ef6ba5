package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// value is a tensor flowing along an edge: a tensor, a reference to a
// variable (TF1 ref edges), or a dead marker (an untaken branch).
type value struct {
	t    *tensor.Tensor
	ref  *kernels.Variable
	dead bool
}

type nodeState struct {
	inputs   []value
	pending  int
	deadData int
	liveSlot int // merge: first live data input, -1 if none
	anyDead  bool
	fired    bool
}

type iterState struct {
	nodes []nodeState
}

type frameInst struct {
	sf         *staticFrame
	parent     *frameInst
	parentIter int
	iters      []*iterState
	children   map[childKey]*frameInst
	invariants []delivery // loop-invariant Enter values, given to every iteration
	exitLive   map[int]bool
	resolved   bool
	depth      int
}

type childKey struct {
	iter  int
	frame int
}

type delivery struct {
	dst, slot int
	v         value
}

type item struct {
	id   int
	inst *frameInst
	iter int
}

// execution is the state of one run of a plan.
type execution struct {
	ctx     context.Context
	p       *plan
	env     *callEnv
	feeds   []*tensor.Tensor
	queue   []item
	head    int
	results []value
	got     []bool
	insts   []*frameInst
	steps   int

	// Live-tensor accounting (Limits.MaxLiveBytes): the tensors held in
	// node input slots, counted once each however many slots hold them.
	maxLive int64
	live    int64
	holders map[*tensor.Tensor]int
	liveErr error

	// alloc recycles the float32 buffers of dead tensors (nil when
	// buffer reuse is off).
	alloc *execAlloc
}

// tensorBytes estimates the memory of a tensor.
func tensorBytes(t *tensor.Tensor) int64 {
	switch t.DType() {
	case tensor.String:
		var n int64
		for _, s := range t.Strings() {
			n += int64(len(s)) + 16
		}
		return n
	case tensor.Resource, tensor.Variant:
		return int64(t.NumElements()) * 64
	}
	return int64(t.NumElements()) * int64(t.DType().Size())
}

// hold counts a tensor stored in a node's input slot.
func (x *execution) hold(v value) {
	if x.alloc != nil && v.t != nil {
		x.alloc.hold(v.t)
	}
	if x.maxLive <= 0 || v.t == nil {
		return
	}
	n := x.holders[v.t]
	if n == 0 {
		x.live += tensorBytes(v.t)
		if x.live > x.maxLive && x.liveErr == nil {
			x.liveErr = fmt.Errorf("%w: the tensors live in this call reach %d bytes, over the limit of %d (MaxLiveBytes)", kernels.ErrLimit, x.live, x.maxLive)
		}
	}
	x.holders[v.t] = n + 1
}

// release uncounts the tensors of a node's input slots once it has run.
func (x *execution) release(vs []value) {
	if x.alloc != nil {
		for _, v := range vs {
			if v.t != nil {
				x.alloc.release(v.t)
			}
		}
	}
	if x.maxLive <= 0 {
		return
	}
	for _, v := range vs {
		if v.t == nil {
			continue
		}
		n := x.holders[v.t] - 1
		if n <= 0 {
			delete(x.holders, v.t)
			x.live -= tensorBytes(v.t)
		} else {
			x.holders[v.t] = n
		}
	}
}

func (x *execution) newIter(inst *frameInst) *iterState {
	sf := inst.sf
	it := &iterState{nodes: make([]nodeState, len(sf.nodes))}
	g := x.p.g
	for i, id := range sf.nodes {
		nd := g.nodes[id]
		ns := &it.nodes[i]
		ns.pending = x.p.pending[id]
		ns.liveSlot = -1
		if len(nd.inputs) > 0 {
			ns.inputs = make([]value, len(nd.inputs))
		}
		if fi, ok := x.p.fedIn[id]; ok {
			for slot, f := range fi {
				if f >= 0 {
					ns.inputs[slot] = value{t: x.feeds[f]}
					x.hold(ns.inputs[slot])
					if nd.kind == kindMerge && ns.liveSlot < 0 {
						ns.liveSlot = slot
					}
				}
			}
		}
	}
	inst.iters = append(inst.iters, it)
	return it
}

func (x *execution) iter(inst *frameInst, i int) *iterState {
	for len(inst.iters) <= i {
		x.newIter(inst)
		k := len(inst.iters) - 1
		for _, d := range inst.invariants {
			x.deliverData(inst, k, d.dst, d.slot, d.v)
		}
	}
	return inst.iters[i]
}

func (x *execution) ready(inst *frameInst, iter int, id int) {
	x.queue = append(x.queue, item{id: id, inst: inst, iter: iter})
}

func (x *execution) deliverData(inst *frameInst, iter, dst, slot int, v value) {
	ns := &x.iter(inst, iter).nodes[x.p.idxIn[dst]]
	nd := x.p.g.nodes[dst]
	if nd.kind == kindMerge {
		if ns.fired {
			return
		}
		ns.inputs[slot] = v
		x.hold(v)
		if v.dead {
			ns.deadData++
		} else if ns.liveSlot < 0 {
			ns.liveSlot = slot
		}
		x.checkMerge(inst, iter, dst, ns)
		return
	}
	ns.inputs[slot] = v
	x.hold(v)
	if v.dead {
		ns.anyDead = true
	}
	ns.pending--
	if ns.pending == 0 {
		x.ready(inst, iter, dst)
	}
}

func (x *execution) checkMerge(inst *frameInst, iter, id int, ns *nodeState) {
	nd := x.p.g.nodes[id]
	if ns.fired || ns.pending > 0 {
		return
	}
	if ns.liveSlot >= 0 || ns.deadData == len(nd.inputs) {
		ns.fired = true
		x.ready(inst, iter, id)
	}
}

func (x *execution) deliverControl(inst *frameInst, iter, dst int, dead bool) {
	ns := &x.iter(inst, iter).nodes[x.p.idxIn[dst]]
	if dead {
		ns.anyDead = true
	}
	ns.pending--
	if x.p.g.nodes[dst].kind == kindMerge {
		x.checkMerge(inst, iter, dst, ns)
		return
	}
	if ns.pending == 0 {
		x.ready(inst, iter, dst)
	}
}

func (x *execution) child(inst *frameInst, iter int, src int) *frameInst {
	f := x.p.enterFrame[src]
	key := childKey{iter: iter, frame: f}
	if c, ok := inst.children[key]; ok {
		return c
	}
	c := &frameInst{sf: x.p.frames[f], parent: inst, parentIter: iter, exitLive: map[int]bool{}, depth: inst.depth + 1}
	if inst.children == nil {
		inst.children = map[childKey]*frameInst{}
	}
	inst.children[key] = c
	x.insts = append(x.insts, c)
	return c
}

// propagate sends the outputs of node id, run in (inst, iter), to its
// consumers.
func (x *execution) propagate(inst *frameInst, iter, id int, outs []value, dead bool) {
	nd := x.p.g.nodes[id]
	tInst, tIter := inst, iter
	switch nd.kind {
	case kindEnter:
		tInst, tIter = x.child(inst, iter, id), 0
		if nd.isConstant && !dead {
			for _, cs := range nd.outs {
				for _, c := range cs {
					if x.p.needed[c.dst] {
						tInst.invariants = append(tInst.invariants, delivery{c.dst, c.slot, outs[0]})
					}
				}
			}
			for k := range tInst.iters {
				for _, cs := range nd.outs {
					for _, c := range cs {
						if x.p.needed[c.dst] {
							x.deliverData(tInst, k, c.dst, c.slot, outs[0])
						}
					}
				}
			}
			if len(tInst.iters) == 0 {
				x.iter(tInst, 0)
			}
			for _, c := range nd.ctrlOuts {
				if x.p.needed[c] {
					x.deliverControl(tInst, 0, c, dead)
				}
			}
			return
		}
	case kindExit:
		if dead {
			return // delivered when the frame is done, if no live value came
		}
		inst.exitLive[id] = true
		tInst, tIter = inst.parent, inst.parentIter
	case kindNextIteration:
		if dead {
			return // deadness does not cross iterations
		}
		tIter = iter + 1
	}
	for slot := 0; slot < max(len(nd.outs), len(outs)); slot++ {
		var v value
		if dead || slot >= len(outs) {
			v = value{dead: true}
		} else {
			v = outs[slot]
		}
		var cs []consumer
		if slot < len(nd.outs) {
			cs = nd.outs[slot]
		}
		for _, c := range cs {
			if x.p.needed[c.dst] {
				x.deliverData(tInst, tIter, c.dst, c.slot, v)
			}
		}
		if tInst == x.root() {
			x.record(id, slot, v)
		}
	}
	for _, c := range nd.ctrlOuts {
		if x.p.needed[c] {
			x.deliverControl(tInst, tIter, c, dead)
		}
	}
}

func (x *execution) root() *frameInst { return x.insts[0] }

// record keeps a root-frame value that a fetch asks for.
func (x *execution) record(id, slot int, v value) {
	for _, fi := range x.p.fetchAt[tensorRef{id, slot}] {
		if x.alloc != nil && v.t != nil {
			x.alloc.pin(v.t) // returned to the caller
		}
		x.results[fi], x.got[fi] = v, true
	}
}

// run executes the plan until no work remains.
func (x *execution) run() error {
	root := &frameInst{sf: x.p.frames[0], exitLive: map[int]bool{}}
	x.insts = []*frameInst{root}
	it := x.newIter(root)
	for i, id := range root.sf.nodes {
		ns := &it.nodes[i]
		nd := x.p.g.nodes[id]
		if nd.kind == kindMerge {
			if ns.pending == 0 && ns.liveSlot >= 0 {
				ns.fired = true
				x.ready(root, 0, id)
			}
		} else if ns.pending == 0 {
			x.ready(root, 0, id)
		}
	}
	// Fetches that are produced by nodes outside the root frame are not
	// allowed; fetches of fed tensors were resolved by the caller.
	for {
		for x.head < len(x.queue) {
			it := x.queue[x.head]
			x.queue[x.head] = item{}
			x.head++
			if err := x.step(it); err != nil {
				return err
			}
		}
		x.queue, x.head = x.queue[:0], 0
		if !x.resolveDeadExits() {
			return nil
		}
	}
}

// resolveDeadExits handles one finished frame instance whose Exit nodes
// never produced a live value: they send dead values to the parent, so that
// a loop on an untaken branch is dead as a whole. It reports whether it
// queued any work.
func (x *execution) resolveDeadExits() bool {
	var best *frameInst
	for _, f := range x.insts[1:] {
		if !f.resolved && (best == nil || f.depth > best.depth) {
			best = f
		}
	}
	if best == nil {
		return false
	}
	best.resolved = true
	for _, id := range best.sf.exits {
		if best.exitLive[id] {
			continue
		}
		nd := x.p.g.nodes[id]
		for slot, cs := range nd.outs {
			for _, c := range cs {
				if x.p.needed[c.dst] {
					x.deliverData(best.parent, best.parentIter, c.dst, c.slot, value{dead: true})
				}
			}
			if best.parent == x.root() {
				x.record(id, slot, value{dead: true})
			}
		}
		for _, c := range nd.ctrlOuts {
			if x.p.needed[c] {
				x.deliverControl(best.parent, best.parentIter, c, true)
			}
		}
	}
	return true
}

// step runs one ready node.
func (x *execution) step(it item) error {
	x.steps++
	if x.steps&63 == 0 {
		if err := x.ctx.Err(); err != nil {
			return err
		}
	}
	nd := x.p.g.nodes[it.id]
	ns := &it.inst.iters[it.iter].nodes[x.p.idxIn[it.id]]
	inputs := ns.inputs
	ns.inputs = nil // release memory held by this node's inputs
	defer x.release(inputs)
	if err := x.liveErr; err != nil {
		return x.opError(nd, err)
	}
	dead := ns.anyDead
	if x.alloc != nil && nd.kind != kindNormal && nd.kind != kindFunction {
		// Control-flow nodes forward their inputs, sometimes to later
		// iterations and frames: those buffers leave the pool.
		for _, in := range inputs {
			if in.t != nil {
				x.alloc.pin(in.t)
			}
		}
	}
	switch nd.kind {
	case kindMerge:
		if ns.liveSlot < 0 {
			x.propagate(it.inst, it.iter, it.id, nil, true)
			return nil
		}
		x.propagate(it.inst, it.iter, it.id, []value{inputs[ns.liveSlot], {t: tensor.Scalar(int32(ns.liveSlot))}}, false)
		return nil
	case kindSwitch:
		if dead || inputs[0].dead || inputs[1].dead {
			x.propagate(it.inst, it.iter, it.id, nil, true)
			return nil
		}
		p, err := x.readValue(inputs[1])
		if err != nil {
			return x.opError(nd, err)
		}
		if p.DType() != tensor.Bool || p.NumElements() != 1 {
			return x.opError(nd, fmt.Errorf("%w: predicate must be a bool scalar, got %v %v", kernels.ErrInvalidArgument, p.DType(), p.Shape()))
		}
		outs := []value{{dead: true}, {dead: true}}
		if p.Bools()[0] {
			outs[1] = inputs[0]
		} else {
			outs[0] = inputs[0]
		}
		x.propagate(it.inst, it.iter, it.id, outs, false)
		return nil
	case kindEnter, kindExit, kindNextIteration, kindLoopCond:
		if dead || len(inputs) == 0 || inputs[0].dead {
			x.propagate(it.inst, it.iter, it.id, nil, true)
			return nil
		}
		x.propagate(it.inst, it.iter, it.id, inputs[:1], false)
		return nil
	case kindArg:
		return x.opError(nd, fmt.Errorf("function argument is not fed"))
	}
	if dead {
		x.propagate(it.inst, it.iter, it.id, nil, true)
		return nil
	}
	for _, in := range inputs {
		if in.dead {
			x.propagate(it.inst, it.iter, it.id, nil, true)
			return nil
		}
	}
	outs, err := x.compute(nd, inputs)
	if err != nil {
		return err
	}
	x.propagate(it.inst, it.iter, it.id, outs, false)
	if x.alloc != nil {
		// An output nobody holds (unused, not fetched) is dead already.
		for _, o := range outs {
			if o.t != nil {
				x.alloc.hold(o.t)
				x.alloc.release(o.t)
			}
		}
	}
	return nil
}

func (x *execution) readValue(v value) (*tensor.Tensor, error) {
	if v.ref != nil {
		return v.ref.Value()
	}
	return v.t, nil
}

func (x *execution) opError(nd *node, err error) error {
	var oe *kernels.OpError
	if errors.As(err, &oe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("node %s (op %s): %w", nd.def.Name, nd.def.Op, err)
	}
	return &kernels.OpError{Node: nd.def.Name, Op: nd.def.Op, Err: err}
}

// compute runs the kernel of a normal node.
func (x *execution) compute(nd *node, inputs []value) ([]value, error) {
	if t := nd.constVal.Load(); t != nil {
		return []value{{t: t}}, nil
	}
	ts := make([]*tensor.Tensor, len(inputs))
	var refs []*kernels.Variable
	for i, in := range inputs {
		if in.ref != nil {
			if nd.kdef != nil && nd.kdef.IsRefInput(i) {
				if refs == nil {
					refs = make([]*kernels.Variable, len(inputs))
				}
				refs[i] = in.ref
				continue
			}
			t, err := in.ref.Value()
			if err != nil {
				return nil, x.opError(nd, err)
			}
			ts[i] = t
			continue
		}
		ts[i] = in.t
	}
	if nd.kind == kindFunction {
		if x.alloc != nil {
			for _, t := range ts {
				x.alloc.pin(t)
			}
		}
		fn := &tfpb.NameAttrList{Name: nd.def.Op, Attr: nd.def.Attr}
		outs, err := x.env.CallFunction(x.ctx, fn, ts)
		if err != nil {
			return nil, x.opError(nd, err)
		}
		vs := make([]value, len(outs))
		for i, t := range outs {
			vs[i] = value{t: t}
		}
		return vs, nil
	}
	escapes := x.alloc != nil && nd.escapes
	if escapes {
		// The kernel may keep its inputs, or store what it allocates
		// (variables, lists, caches): none of it goes through the pool.
		for _, t := range ts {
			x.alloc.pin(t)
		}
		x.alloc.setOff(true)
	}
	c := kernels.NewContext(x.ctx, nd, ts, refs, x.env)
	var start time.Time
	prof := &x.env.s.prof
	if prof.on.Load() {
		start = time.Now()
	}
	err := nd.kdef.Fn(c)
	if !start.IsZero() {
		prof.add(nd.def.Op, time.Since(start))
	}
	if escapes {
		x.alloc.setOff(false)
	}
	if err != nil {
		return nil, x.opError(nd, err)
	}
	outs := c.Outputs()
	orefs := c.OutputRefs()
	if x.alloc != nil {
		for _, o := range outs {
			if o != nil && (o.DType() == tensor.Variant || o.DType() == tensor.Resource) {
				// Lists, optionals and the like hold their inputs.
				for _, t := range ts {
					x.alloc.pin(t)
				}
				break
			}
		}
		x.alloc.pinAliases(ts, outs)
		x.alloc.pinShared(outs)
	}
	vs := make([]value, max(len(outs), len(orefs)))
	for i := range vs {
		if i < len(orefs) && orefs[i] != nil {
			vs[i] = value{ref: orefs[i]}
		} else if i < len(outs) {
			vs[i] = value{t: outs[i]}
		}
	}
	for slot, cs := range nd.outs {
		if len(cs) == 0 {
			continue
		}
		if slot >= len(vs) || (vs[slot].t == nil && vs[slot].ref == nil) {
			return nil, x.opError(nd, fmt.Errorf("kernel produced no output %d", slot))
		}
	}
	if nd.def.Op == "Const" && len(vs) == 1 && vs[0].t != nil {
		nd.constVal.Store(vs[0].t)
	}
	return vs, nil
}

// nodeEscapes reports whether a node's kernel may keep references to its
// inputs or to what it allocates beyond its outputs: stateful and ref
// ops, Const (cached), ops that call functions, and ops with variant or
// resource attrs (lists, optionals, datasets hold tensors). It is
// computed once, when the graph is compiled.
func nodeEscapes(def *tfpb.NodeDef, kd *kernels.Def) bool {
	if kd == nil || kd.Stateful || len(kd.RefInputs) > 0 || def.GetOp() == "Const" {
		return true
	}
	for _, a := range def.GetAttr() {
		if a.GetFunc() != nil || len(a.GetList().GetFunc()) > 0 {
			return true
		}
		if t := a.GetType(); t == tfpb.DataType_DT_VARIANT || t == tfpb.DataType_DT_RESOURCE {
			return true
		}
		for _, t := range a.GetList().GetType() {
			if t == tfpb.DataType_DT_VARIANT || t == tfpb.DataType_DT_RESOURCE {
				return true
			}
		}
	}
	return false
}
