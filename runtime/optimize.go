package runtime

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// EnvNoOptimizer is the environment variable that turns the load-time
// optimizer off for every session when set to a non-empty value other
// than "0" (for debugging; Options.DisableOptimizer does it per session).
const EnvNoOptimizer = "TFHUB_NO_OPTIMIZER"

// maxFoldBytes bounds the size of a tensor made by constant folding (as
// TensorFlow's own optimizer does): folding must not blow up the graph.
const maxFoldBytes = 10 << 20

// OptimizeStats counts what the load-time optimizer did to one graph.
type OptimizeStats struct {
	// Folded is the number of nodes replaced by constants.
	Folded int
	// Fused is the number of fused nodes created (each replaces a
	// Conv2D, DepthwiseConv2dNative or MatMul with the bias or batch
	// norm and the activation after it).
	Fused int
	// FoldedBatchNorms is the number of batch norms folded into constant
	// convolution filters (counted in Fused too).
	FoldedBatchNorms int
	// FusedAdds is the number of residual Adds fused into a convolution
	// (counted in Fused too).
	FusedAdds int
}

func (s *OptimizeStats) add(o OptimizeStats) {
	s.Folded += o.Folded
	s.Fused += o.Fused
	s.FoldedBatchNorms += o.FoldedBatchNorms
	s.FusedAdds += o.FusedAdds
}

func (s OptimizeStats) changed() bool { return s.Folded+s.Fused > 0 }

func optimizerDisabled(o Options) bool {
	if o.DisableOptimizer {
		return true
	}
	v := os.Getenv(EnvNoOptimizer)
	return v != "" && v != "0"
}

// optimizer rewrites one graph (a GraphDef's nodes or an instantiated
// function body) for inference speed, for one set of feeds and fetches:
//
//   - constant folding: a pure node whose inputs are all constants is
//     computed once and replaced by a Const;
//   - fusion: Conv2D, DepthwiseConv2dNative and MatMul followed by BiasAdd
//     or an inference-mode FusedBatchNorm, and optionally by Relu, Relu6,
//     Elu, LeakyRelu, Tanh or Sigmoid, become one _FusedConv2D,
//     _FusedDepthwiseConv2dNative or _FusedMatMul node, TensorFlow's own
//     fused ops, whose kernels apply the bias or batch norm and the
//     activation to each output block as they produce it;
//   - batch-norm folding: when the filter and the batch norm's parameters
//     are constants, the batch norm is folded into a new constant filter
//     and bias.
//
// It never changes a node that is fed, and keeps the name and meaning of
// every node that is fetched or run as a target: a fused node takes the
// name of the last node it replaces. Only float32 nodes are fused.
type optimizer struct {
	ctx   context.Context // of the call that plans: folding stops when it ends
	defs  []*tfpb.NodeDef
	fed   map[string]bool
	keep  map[string]bool
	env   kernels.Env
	lib   *Library
	stats OptimizeStats

	byName   map[string]int
	live     []bool           // needed by a kept node (the rest is not touched)
	uses     map[string][]use // "node:slot" -> data consumers
	ctrlUses map[string]int   // node -> number of control consumers
	names    map[string]bool  // every node name, including new ones
}

// use is one data input of a node: input index in of node def index n.
type use struct{ n, in int }

// optimizeDefs returns the optimized nodes (defs itself when nothing
// changed; the NodeDefs of unchanged nodes are shared, never modified).
// fed and keep hold node names: fed ones are fed, kept ones fetched or
// run as targets.
func optimizeDefs(ctx context.Context, defs []*tfpb.NodeDef, fed, keep map[string]bool, env kernels.Env, lib *Library) ([]*tfpb.NodeDef, OptimizeStats) {
	o := &optimizer{ctx: ctx, defs: defs, fed: fed, keep: keep, env: env, lib: lib}
	o.index()
	o.fold()
	o.index()
	o.fuse()
	return o.defs, o.stats
}

// splitInput parses a node input: name, output slot, control.
func splitInput(in string) (string, int, bool) {
	if strings.HasPrefix(in, "^") {
		return in[1:], -1, true
	}
	if i := strings.LastIndexByte(in, ':'); i >= 0 {
		if n, err := strconv.Atoi(in[i+1:]); err == nil {
			return in[:i], n, false
		}
	}
	return in, 0, false
}

func (o *optimizer) index() {
	o.byName = make(map[string]int, len(o.defs))
	o.uses = make(map[string][]use, len(o.defs))
	o.ctrlUses = map[string]int{}
	if o.names == nil {
		o.names = make(map[string]bool, len(o.defs))
	}
	for i, d := range o.defs {
		o.byName[d.GetName()] = i
		o.names[d.GetName()] = true
	}
	o.live = make([]bool, len(o.defs))
	var stack []int
	for name := range o.keep {
		if i, ok := o.byName[name]; ok && !o.live[i] {
			o.live[i] = true
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if o.fed[o.defs[i].GetName()] {
			continue
		}
		for _, in := range o.defs[i].GetInput() {
			name, _, _ := splitInput(in)
			if j, ok := o.byName[name]; ok && !o.live[j] {
				o.live[j] = true
				stack = append(stack, j)
			}
		}
	}
	for i, d := range o.defs {
		if !o.live[i] {
			continue
		}
		for j, in := range d.GetInput() {
			name, slot, ctrl := splitInput(in)
			if ctrl {
				o.ctrlUses[name]++
				continue
			}
			k := name + ":" + strconv.Itoa(slot)
			o.uses[k] = append(o.uses[k], use{i, j})
		}
	}
}

// node returns the def of a node name, or nil.
func (o *optimizer) node(name string) *tfpb.NodeDef {
	if i, ok := o.byName[name]; ok {
		return o.defs[i]
	}
	return nil
}

// usesOf returns the data consumers of every output of a node.
func (o *optimizer) usesOf(name string, slot int) []use {
	return o.uses[name+":"+strconv.Itoa(slot)]
}

// onlyUse reports whether output 0 of node name is consumed exactly once,
// as input 0 of another node, and nothing else of it is used: no other
// output slot, no control edge, not kept or fed. It returns the consumer.
func (o *optimizer) onlyUse(name string, slots int) (*tfpb.NodeDef, bool) {
	if o.keep[name] || o.fed[name] || o.ctrlUses[name] > 0 {
		return nil, false
	}
	u := o.usesOf(name, 0)
	if len(u) != 1 || u[0].in != 0 {
		return nil, false
	}
	for s := 1; s < slots; s++ {
		if len(o.usesOf(name, s)) > 0 {
			return nil, false
		}
	}
	return o.defs[u[0].n], true
}

// singleUse is onlyUse for any input slot: output 0 of node name has
// exactly one data consumer (at input in), nothing else of it is used,
// and it is neither kept nor fed.
func (o *optimizer) singleUse(name string) (*tfpb.NodeDef, int, bool) {
	if o.keep[name] || o.fed[name] || o.ctrlUses[name] > 0 {
		return nil, 0, false
	}
	u := o.usesOf(name, 0)
	if len(u) != 1 {
		return nil, 0, false
	}
	for s := 1; s < 6; s++ {
		if len(o.usesOf(name, s)) > 0 {
			return nil, 0, false
		}
	}
	return o.defs[u[0].n], u[0].in, true
}

// constValue returns the value of a Const node that is not fed.
func (o *optimizer) constValue(name string) (*tensor.Tensor, bool) {
	d := o.node(name)
	if d == nil || d.GetOp() != "Const" || o.fed[name] {
		return nil, false
	}
	slot := o.lib.constSlot(d)
	if t := slot.Load(); t != nil {
		return t, true
	}
	v, ok := d.GetAttr()["value"]
	if !ok {
		return nil, false
	}
	t, err := tfpb.TensorFromProto(v.GetTensor())
	if err != nil {
		return nil, false
	}
	slot.Store(t)
	return t, true
}

// constInput returns the constant behind a data input (slot 0 of a
// Const), if it is one.
func (o *optimizer) constInput(in string) (*tensor.Tensor, bool) {
	name, slot, ctrl := splitInput(in)
	if ctrl || slot != 0 {
		return nil, false
	}
	return o.constValue(name)
}

// newConst makes a Const node holding t, remembered decoded.
func (o *optimizer) newConst(name, device string, t *tensor.Tensor) (*tfpb.NodeDef, error) {
	p, err := tfpb.TensorToProto(t)
	if err != nil {
		return nil, err
	}
	d := &tfpb.NodeDef{Name: name, Op: "Const", Device: device, Attr: map[string]*tfpb.AttrValue{
		"dtype": {Value: &tfpb.AttrValue_Type{Type: tfpb.DTypeToProto(t.DType())}},
		"value": {Value: &tfpb.AttrValue_Tensor{Tensor: p}},
	}}
	o.lib.constSlot(d).Store(t)
	o.names[name] = true
	return d, nil
}

// uniqueName returns base, or base_1, base_2... if taken.
func (o *optimizer) uniqueName(base string) string {
	name := base
	for i := 1; o.names[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	o.names[name] = true
	return name
}

// foldable reports whether a node may be constant-folded: a pure kernel
// with data inputs, no control inputs, no function attrs, not fed.
func (o *optimizer) foldable(d *tfpb.NodeDef) bool {
	if o.fed[d.GetName()] || len(d.GetInput()) == 0 {
		return false
	}
	switch d.GetOp() {
	case "Const", "Placeholder", "PlaceholderV2", "_Arg", "_Retval":
		return false
	}
	kd, ok := kernels.Lookup(d.GetOp())
	if !ok || kd.Stateful || kd.ControlFlow || kd.Refused != "" || len(kd.RefInputs) > 0 || kd.Fn == nil {
		return false
	}
	for _, a := range d.GetAttr() {
		if a.GetFunc() != nil || len(a.GetList().GetFunc()) > 0 {
			return false
		}
	}
	for _, in := range d.GetInput() {
		if strings.HasPrefix(in, "^") {
			return false
		}
		if _, ok := o.constInput(in); !ok {
			return false
		}
	}
	return true
}

// fold replaces foldable nodes by constants, in dependency order, so that
// chains of constant computations fold completely.
func (o *optimizer) fold() {
	changed := false
	out := o.defs
	for _, i := range o.topoOrder() {
		if o.ctx.Err() != nil {
			return // planning was canceled; what is folded so far is valid
		}
		d := out[i]
		if !o.live[i] || !o.foldable(d) {
			continue
		}
		t, ok := o.evaluate(d)
		if !ok {
			continue
		}
		c, err := o.newConst(d.GetName(), d.GetDevice(), t)
		if err != nil {
			continue
		}
		if !changed {
			out = append([]*tfpb.NodeDef(nil), o.defs...)
			o.defs = out
			changed = true
		}
		out[i] = c
		o.stats.Folded++
	}
}

// evaluate runs a foldable node's kernel on its constant inputs. It
// refuses nodes with several used outputs, non-numeric outputs and
// outputs over maxFoldBytes.
func (o *optimizer) evaluate(d *tfpb.NodeDef) (*tensor.Tensor, bool) {
	kd, _ := kernels.Lookup(d.GetOp())
	ins := make([]*tensor.Tensor, len(d.GetInput()))
	for i, in := range d.GetInput() {
		ins[i], _ = o.constInput(in)
	}
	c := kernels.NewContext(o.ctx, defNode{d}, ins, nil, o.env)
	if err := safeRun(kd.Fn, c); err != nil {
		return nil, false
	}
	outs := c.Outputs()
	if len(outs) == 0 || outs[0] == nil || len(c.OutputRefs()) > 0 {
		return nil, false
	}
	for s := 1; s < len(outs)+1; s++ {
		if len(o.usesOf(d.GetName(), s)) > 0 {
			return nil, false
		}
	}
	t := outs[0]
	switch t.DType() {
	case tensor.Resource, tensor.Variant:
		return nil, false
	}
	if tensorBytes(t) > maxFoldBytes {
		return nil, false
	}
	return t, true
}

// safeRun runs a kernel, turning a panic into an error.
func safeRun(fn kernels.Func, c *kernels.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel panic: %v", r)
		}
	}()
	return fn(c)
}

// topoOrder lists the node indices so that data and control inputs come
// first; nodes on cycles (loops) are left out.
func (o *optimizer) topoOrder() []int {
	n := len(o.defs)
	pending := make([]int, n)
	next := make([][]int, n)
	for i, d := range o.defs {
		for _, in := range d.GetInput() {
			name, _, _ := splitInput(in)
			if j, ok := o.byName[name]; ok {
				pending[i]++
				next[j] = append(next[j], i)
			}
		}
	}
	var order, queue []int
	for i := range o.defs {
		if pending[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for _, j := range next[i] {
			if pending[j]--; pending[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	return order
}

// defNode adapts a NodeDef to kernels.Node.
type defNode struct{ d *tfpb.NodeDef }

func (n defNode) Name() string { return n.d.GetName() }
func (n defNode) Op() string   { return n.d.GetOp() }
func (n defNode) Attr(name string) (*tfpb.AttrValue, bool) {
	a, ok := n.d.GetAttr()[name]
	return a, ok
}

var fusedOpOf = map[string]string{
	"Conv2D":                "_FusedConv2D",
	"DepthwiseConv2dNative": "_FusedDepthwiseConv2dNative",
	"MatMul":                "_FusedMatMul",
}

var fusableActivations = map[string]bool{
	"Relu": true, "Relu6": true, "Elu": true, "LeakyRelu": true, "Tanh": true, "Sigmoid": true,
}

func attrType(d *tfpb.NodeDef, name string) tfpb.DataType {
	if a, ok := d.GetAttr()[name]; ok {
		return a.GetType()
	}
	return tfpb.DataType_DT_FLOAT
}

func attrNHWC(d *tfpb.NodeDef) bool {
	a, ok := d.GetAttr()["data_format"]
	return !ok || string(a.GetS()) == "NHWC"
}

func isFloat32(d *tfpb.NodeDef) bool {
	a, ok := d.GetAttr()["T"]
	return ok && a.GetType() == tfpb.DataType_DT_FLOAT
}

// fuse finds and replaces the fusable chains.
func (o *optimizer) fuse() {
	var replaced map[int]*tfpb.NodeDef // def index -> new def (nil: removed)
	var extra []*tfpb.NodeDef
	for i, b := range o.defs {
		fop, ok := fusedOpOf[b.GetOp()]
		if !ok || !o.live[i] || replaced[i] != nil || !isFloat32(b) || !attrNHWC(b) || o.keep[b.GetName()] || o.fed[b.GetName()] || len(b.GetInput()) < 2 {
			continue
		}
		taken := func(d *tfpb.NodeDef) bool {
			_, t := replaced[o.byName[d.GetName()]]
			return t
		}
		m, ok := o.onlyUse(b.GetName(), 1)
		if !ok || !isFloat32(m) || !attrNHWC(m) || o.fed[m.GetName()] || taken(m) {
			continue
		}
		bn := false
		switch m.GetOp() {
		case "BiasAdd":
		case "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3":
			tr, ok := m.GetAttr()["is_training"]
			if !ok || tr.GetB() || b.GetOp() == "MatMul" || attrType(m, "U") != tfpb.DataType_DT_FLOAT || o.keep[m.GetName()] {
				continue
			}
			if len(m.GetInput()) < 5 || hasControlPrefix(m.GetInput()[:5]) {
				continue
			}
			used := false
			for s := 1; s < 6; s++ {
				used = used || len(o.usesOf(m.GetName(), s)) > 0
			}
			if used {
				continue
			}
			bn = true
		default:
			continue
		}
		chain := []*tfpb.NodeDef{b, m}
		last := m
		// A residual Add after a convolution's bias or batch norm (the
		// other operand is added in the epilogue, as TF's remapper does).
		addend := ""
		if fop == "_FusedConv2D" && !o.keep[m.GetName()] {
			if u, in, ok := o.singleUse(m.GetName()); ok && (u.GetOp() == "AddV2" || u.GetOp() == "Add") && isFloat32(u) && !o.fed[u.GetName()] && !taken(u) {
				if data, _ := splitData(u.GetInput()); len(data) == 2 {
					addend = data[1-in]
					chain = append(chain, u)
					last = u
				}
			}
		}
		var act *tfpb.NodeDef
		if a, ok := o.onlyUse(last.GetName(), 1); ok && fusableActivations[a.GetOp()] && isFloat32(a) && !o.fed[a.GetName()] && !taken(a) {
			act = a
			chain = append(chain, a)
		}
		end := chain[len(chain)-1]
		f := &tfpb.NodeDef{Name: end.GetName(), Op: fop, Device: end.GetDevice(), Attr: map[string]*tfpb.AttrValue{}}
		for k, v := range b.GetAttr() {
			f.Attr[k] = v
		}
		data, _ := splitData(b.GetInput())
		if len(data) != 2 {
			continue
		}
		f.Input = append(f.Input, data...)
		fused := []string{"BiasAdd"}
		var newDefs []*tfpb.NodeDef
		switch {
		case bn:
			margs, _ := splitData(m.GetInput())
			eps := float32(0.0001)
			if a, ok := m.GetAttr()["epsilon"]; ok {
				eps = a.GetF()
			}
			if w, bias, ok := o.foldBatchNorm(b, margs[1:5], eps); ok {
				wd, err1 := o.newConst(o.uniqueName(end.GetName()+"/folded_filter"), b.GetDevice(), w)
				bd, err2 := o.newConst(o.uniqueName(end.GetName()+"/folded_bias"), b.GetDevice(), bias)
				if err1 != nil || err2 != nil {
					continue
				}
				newDefs = append(newDefs, wd, bd)
				f.Input[1] = wd.GetName()
				f.Input = append(f.Input, bd.GetName())
				o.stats.FoldedBatchNorms++
			} else {
				fused = []string{"FusedBatchNorm"}
				f.Input = append(f.Input, margs[1:5]...)
				f.Attr["epsilon"] = &tfpb.AttrValue{Value: &tfpb.AttrValue_F{F: eps}}
			}
		default:
			margs, _ := splitData(m.GetInput())
			if len(margs) != 2 {
				continue
			}
			f.Input = append(f.Input, margs[1])
		}
		if addend != "" {
			fused = append(fused, "Add")
			f.Input = append(f.Input, addend)
			o.stats.FusedAdds++
		}
		if act != nil {
			fused = append(fused, act.GetOp())
			if act.GetOp() == "LeakyRelu" {
				alpha := float32(0.2)
				if a, ok := act.GetAttr()["alpha"]; ok {
					alpha = a.GetF()
				}
				f.Attr["leakyrelu_alpha"] = &tfpb.AttrValue{Value: &tfpb.AttrValue_F{F: alpha}}
			}
		}
		f.Attr["fused_ops"] = &tfpb.AttrValue{Value: &tfpb.AttrValue_List{List: &tfpb.AttrValue_ListValue{S: bytesList(fused)}}}
		f.Attr["num_args"] = &tfpb.AttrValue{Value: &tfpb.AttrValue_I{I: int64(len(f.Input) - 2)}}
		// Control inputs of every replaced node move to the fused one.
		seen := map[string]bool{}
		for _, d := range chain {
			_, ctrl := splitData(d.GetInput())
			for _, c := range ctrl {
				if !seen[c] {
					seen[c] = true
					f.Input = append(f.Input, c)
				}
			}
		}
		if replaced == nil {
			replaced = map[int]*tfpb.NodeDef{}
		}
		removed := &tfpb.NodeDef{} // marker
		for _, d := range chain[:len(chain)-1] {
			replaced[o.byName[d.GetName()]] = removed
		}
		replaced[o.byName[end.GetName()]] = f
		extra = append(extra, newDefs...)
		o.stats.Fused++
	}
	if replaced == nil {
		return
	}
	out := make([]*tfpb.NodeDef, 0, len(o.defs)+len(extra))
	for i, d := range o.defs {
		if r, ok := replaced[i]; ok {
			if r.GetName() == "" {
				continue
			}
			d = r
		}
		out = append(out, d)
	}
	o.defs = append(out, extra...)
}

func hasControlPrefix(ins []string) bool {
	for _, in := range ins {
		if strings.HasPrefix(in, "^") {
			return true
		}
	}
	return false
}

// splitData separates data inputs from control inputs.
func splitData(ins []string) (data, ctrl []string) {
	for _, in := range ins {
		if strings.HasPrefix(in, "^") {
			ctrl = append(ctrl, in)
		} else {
			data = append(data, in)
		}
	}
	return data, ctrl
}

func bytesList(s []string) [][]byte {
	b := make([][]byte, len(s))
	for i, x := range s {
		b[i] = []byte(x)
	}
	return b
}

// foldBatchNorm computes the filter and bias of a convolution followed
// by an inference batch norm, when the filter and the four batch-norm
// parameters are constants: w'[..., o] = w[..., o]*s[o] and
// bias[o] = offset[o] - mean[o]*s[o] with s = scale/sqrt(variance+eps).
// For a depthwise filter [kh, kw, c, m], output channel o is c*m+j, the
// flat index of its last two dimensions.
func (o *optimizer) foldBatchNorm(b *tfpb.NodeDef, params []string, eps float32) (*tensor.Tensor, *tensor.Tensor, bool) {
	data, _ := splitData(b.GetInput())
	w, ok := o.constInput(data[1])
	if !ok || w.DType() != tensor.Float32 || w.Rank() != 4 {
		return nil, nil, false
	}
	var p [4][]float32
	for i, in := range params {
		t, ok := o.constInput(in)
		if !ok || t.DType() != tensor.Float32 || t.Rank() != 1 {
			return nil, nil, false
		}
		p[i] = t.Float32s()
	}
	ch := w.Dim(3)
	if b.GetOp() == "DepthwiseConv2dNative" {
		ch = w.Dim(2) * w.Dim(3)
	}
	for _, v := range p {
		if len(v) != ch {
			return nil, nil, false
		}
	}
	s := make([]float64, ch)
	bias := make([]float32, ch)
	for c := range ch {
		s[c] = float64(p[0][c]) / math.Sqrt(float64(p[3][c])+float64(eps))
		bias[c] = float32(float64(p[1][c]) - float64(p[2][c])*s[c])
	}
	src := w.Float32s()
	dst := make([]float32, len(src))
	for i, v := range src {
		dst[i] = float32(float64(v) * s[i%ch])
	}
	return tensor.New(dst, w.Shape()...), tensor.New(bias, ch), true
}
