package runtime

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// Library is a graph's function library. Functions are instantiated (attrs
// substituted, body compiled and planned) once per distinct attr set.
type Library struct {
	funcs map[string]*tfpb.FunctionDef
	mu    sync.Mutex
	inst  map[string]*instFunc

	// consts holds the decoded values of Const nodes, by NodeDef, shared
	// by every graph compiled from the same defs (the session's graph and
	// its optimized variants).
	constMu sync.Mutex
	consts  map[*tfpb.NodeDef]*atomic.Pointer[tensor.Tensor]

	// env and optimize are set by the session: the environment of
	// constant folding, and whether function bodies are optimized.
	env      kernels.Env
	optimize bool
}

// constSlot returns the shared value slot of a Const node (a private one
// for other ops, or when l is nil).
func (l *Library) constSlot(d *tfpb.NodeDef) *atomic.Pointer[tensor.Tensor] {
	if l == nil || d.GetOp() != "Const" {
		return new(atomic.Pointer[tensor.Tensor])
	}
	l.constMu.Lock()
	defer l.constMu.Unlock()
	if l.consts == nil {
		l.consts = map[*tfpb.NodeDef]*atomic.Pointer[tensor.Tensor]{}
	}
	p, ok := l.consts[d]
	if !ok {
		p = new(atomic.Pointer[tensor.Tensor])
		l.consts[d] = p
	}
	return p
}

type instFunc struct {
	plan    *plan
	numIn   int
	fetches []string
}

// NewLibrary indexes the functions of lib (which may be nil).
func NewLibrary(lib *tfpb.FunctionDefLibrary) (*Library, error) {
	l := &Library{funcs: map[string]*tfpb.FunctionDef{}, inst: map[string]*instFunc{}}
	for _, f := range lib.GetFunction() {
		name := f.GetSignature().GetName()
		if name == "" {
			return nil, fmt.Errorf("runtime: function without a name in the library")
		}
		if _, dup := l.funcs[name]; dup {
			return nil, fmt.Errorf("runtime: duplicate function %q in the library", name)
		}
		l.funcs[name] = f
	}
	return l, nil
}

// Has reports whether the library defines a function.
func (l *Library) Has(name string) bool {
	if l == nil {
		return false
	}
	_, ok := l.funcs[name]
	return ok
}

// Function returns a function's definition.
func (l *Library) Function(name string) (*tfpb.FunctionDef, bool) {
	f, ok := l.funcs[name]
	return f, ok
}

// Names returns the function names, sorted.
func (l *Library) Names() []string {
	var n []string
	for k := range l.funcs {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// check reports ops used in function bodies that have no kernel.
func (l *Library) check() error {
	missing := map[string]string{}
	for _, name := range l.Names() {
		for _, nd := range l.funcs[name].GetNodeDef() {
			if _, ok := kernels.Lookup(nd.GetOp()); ok {
				if kd, _ := kernels.Lookup(nd.GetOp()); kd.Refused != "" {
					return fmt.Errorf("runtime: function %s, node %s: %w: %s: %s", name, nd.GetName(), kernels.ErrRefusedOp, nd.GetOp(), kd.Refused)
				}
				continue
			}
			if l.Has(nd.GetOp()) {
				continue
			}
			if _, seen := missing[nd.GetOp()]; !seen {
				missing[nd.GetOp()] = name + "/" + nd.GetName()
			}
		}
	}
	if len(missing) > 0 {
		return &MissingOpsError{Ops: missing}
	}
	return nil
}

func (l *Library) instantiate(ctx context.Context, fn *tfpb.NameAttrList) (*instFunc, error) {
	keyBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(fn)
	if err != nil {
		return nil, err
	}
	key := string(keyBytes)
	l.mu.Lock()
	f, ok := l.inst[key]
	l.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err = l.build(ctx, fn)
	if err != nil {
		return nil, fmt.Errorf("runtime: instantiating function %s: %w", fn.GetName(), err)
	}
	l.mu.Lock()
	l.inst[key] = f
	l.mu.Unlock()
	return f, nil
}

// attrs merges call attrs over the signature defaults.
func callAttrs(fd *tfpb.FunctionDef, fn *tfpb.NameAttrList) map[string]*tfpb.AttrValue {
	a := map[string]*tfpb.AttrValue{}
	for _, ad := range fd.GetSignature().GetAttr() {
		if ad.GetDefaultValue() != nil {
			a[ad.GetName()] = ad.GetDefaultValue()
		}
	}
	for k, v := range fn.GetAttr() {
		a[k] = v
	}
	return a
}

// substitute replaces attr placeholders with the call's attr values.
func substitute(v *tfpb.AttrValue, attrs map[string]*tfpb.AttrValue) (*tfpb.AttrValue, error) {
	switch x := v.GetValue().(type) {
	case *tfpb.AttrValue_Placeholder:
		r, ok := attrs[x.Placeholder]
		if !ok {
			return nil, fmt.Errorf("attr placeholder %q has no value", x.Placeholder)
		}
		return r, nil
	case *tfpb.AttrValue_Func:
		nf, err := substituteFunc(x.Func, attrs)
		if err != nil {
			return nil, err
		}
		return &tfpb.AttrValue{Value: &tfpb.AttrValue_Func{Func: nf}}, nil
	case *tfpb.AttrValue_List:
		if len(x.List.GetFunc()) == 0 {
			return v, nil
		}
		nl := proto.Clone(x.List).(*tfpb.AttrValue_ListValue)
		for i, f := range nl.Func {
			nf, err := substituteFunc(f, attrs)
			if err != nil {
				return nil, err
			}
			nl.Func[i] = nf
		}
		return &tfpb.AttrValue{Value: &tfpb.AttrValue_List{List: nl}}, nil
	}
	return v, nil
}

func substituteFunc(f *tfpb.NameAttrList, attrs map[string]*tfpb.AttrValue) (*tfpb.NameAttrList, error) {
	nf := &tfpb.NameAttrList{Name: f.GetName(), Attr: map[string]*tfpb.AttrValue{}}
	for k, v := range f.GetAttr() {
		sv, err := substitute(v, attrs)
		if err != nil {
			return nil, err
		}
		nf.Attr[k] = sv
	}
	return nf, nil
}

// argCount returns how many tensors an arg stands for, given the attrs of
// the node (or call) that has it.
func argCount(a *tfpb.OpDef_ArgDef, attrs map[string]*tfpb.AttrValue) (int, error) {
	switch {
	case a.GetNumberAttr() != "":
		v, ok := attrs[a.GetNumberAttr()]
		if !ok {
			return 0, fmt.Errorf("arg %s: missing attr %s", a.GetName(), a.GetNumberAttr())
		}
		return int(v.GetI()), nil
	case a.GetTypeListAttr() != "":
		v, ok := attrs[a.GetTypeListAttr()]
		if !ok {
			return 0, fmt.Errorf("arg %s: missing attr %s", a.GetName(), a.GetTypeListAttr())
		}
		return len(v.GetList().GetType()), nil
	}
	return 1, nil
}

// outputIndex maps an output arg name and index of node nd to its flat
// output slot.
func (l *Library) outputIndex(nd *tfpb.NodeDef, argName string, idx int) (int, error) {
	if kd, ok := kernels.Lookup(nd.GetOp()); ok {
		args := kd.OutputArgs()
		if len(args) == 0 {
			return idx, nil
		}
		flat := 0
		for _, a := range args {
			n := 1
			switch {
			case a.NumberAttr != "":
				n = int(nd.GetAttr()[a.NumberAttr].GetI())
			case a.TypeListAttr != "":
				n = len(nd.GetAttr()[a.TypeListAttr].GetList().GetType())
			}
			if a.Name == argName {
				if idx >= n {
					return 0, fmt.Errorf("node %s: output %s:%d out of range", nd.GetName(), argName, idx)
				}
				return flat + idx, nil
			}
			flat += n
		}
		return 0, fmt.Errorf("node %s (op %s) has no output arg %q", nd.GetName(), nd.GetOp(), argName)
	}
	if fd, ok := l.funcs[nd.GetOp()]; ok {
		flat := 0
		for _, a := range fd.GetSignature().GetOutputArg() {
			n, err := argCount(a, nd.GetAttr())
			if err != nil {
				return 0, err
			}
			if a.GetName() == argName {
				return flat + idx, nil
			}
			flat += n
		}
		return 0, fmt.Errorf("node %s (function %s) has no output arg %q", nd.GetName(), nd.GetOp(), argName)
	}
	return 0, fmt.Errorf("node %s: %w: %s", nd.GetName(), kernels.ErrUnsupportedOp, nd.GetOp())
}

// build instantiates a function body as a graph and plans it.
func (l *Library) build(ctx context.Context, fn *tfpb.NameAttrList) (*instFunc, error) {
	fd, ok := l.funcs[fn.GetName()]
	if !ok {
		return nil, fmt.Errorf("%w: function %q is not in the library", ErrNotFound, fn.GetName())
	}
	attrs := callAttrs(fd, fn)
	sig := fd.GetSignature()
	var defs []*tfpb.NodeDef
	var feeds []string
	args := map[string]bool{}
	for _, a := range sig.GetInputArg() {
		n, err := argCount(a, attrs)
		if err != nil {
			return nil, err
		}
		defs = append(defs, &tfpb.NodeDef{Name: a.GetName(), Op: "_Arg"})
		args[a.GetName()] = true
		for k := 0; k < n; k++ {
			feeds = append(feeds, a.GetName()+":"+strconv.Itoa(k))
		}
	}
	body := map[string]*tfpb.NodeDef{}
	for _, nd := range fd.GetNodeDef() {
		body[nd.GetName()] = nd
	}
	resolve := func(in string) (string, error) {
		if strings.HasPrefix(in, "^") {
			return in, nil
		}
		parts := strings.Split(in, ":")
		switch len(parts) {
		case 1:
			return parts[0] + ":0", nil
		case 2:
			return in, nil
		case 3:
			src, ok := body[parts[0]]
			if !ok {
				return "", fmt.Errorf("input %q names no node of the body", in)
			}
			idx, err := strconv.Atoi(parts[2])
			if err != nil {
				return "", fmt.Errorf("bad input %q", in)
			}
			flat, err := l.outputIndex(src, parts[1], idx)
			if err != nil {
				return "", err
			}
			return parts[0] + ":" + strconv.Itoa(flat), nil
		}
		return "", fmt.Errorf("bad input %q", in)
	}
	var targets []string
	for _, nd := range fd.GetNodeDef() {
		if args[nd.GetName()] {
			return nil, fmt.Errorf("body node %q has the name of an argument", nd.GetName())
		}
		nn := &tfpb.NodeDef{Name: nd.GetName(), Op: nd.GetOp(), Device: nd.GetDevice(), Attr: map[string]*tfpb.AttrValue{}}
		for k, v := range nd.GetAttr() {
			sv, err := substitute(v, attrs)
			if err != nil {
				return nil, fmt.Errorf("node %s attr %s: %w", nd.GetName(), k, err)
			}
			nn.Attr[k] = sv
		}
		for _, in := range nd.GetInput() {
			r, err := resolve(in)
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", nd.GetName(), err)
			}
			nn.Input = append(nn.Input, r)
		}
		defs = append(defs, nn)
		if kd, ok := kernels.Lookup(nd.GetOp()); ok && kd.Stateful && nd.GetOp() != "VarHandleOp" {
			targets = append(targets, nd.GetName())
		}
	}
	for _, name := range sortedKeys(fd.GetControlRet()) {
		targets = append(targets, fd.GetControlRet()[name])
	}
	var fetches []string
	for _, a := range sig.GetOutputArg() {
		r, ok := fd.GetRet()[a.GetName()]
		if !ok {
			return nil, fmt.Errorf("output %s has no ret", a.GetName())
		}
		n, err := argCount(a, attrs)
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return nil, fmt.Errorf("output %s: list outputs are not supported", a.GetName())
		}
		t, err := resolve(r)
		if err != nil {
			return nil, fmt.Errorf("ret %s: %w", a.GetName(), err)
		}
		fetches = append(fetches, t)
	}
	targets = dedupe(targets)
	if l.optimize {
		if od, st := optimizeDefs(ctx, defs, nodeNames(feeds), nodeNames(fetches, targets), l.env, l); st.changed() {
			if g, err := compileGraph(od, l); err == nil {
				if p, err := g.newPlan(feeds, fetches, targets); err == nil {
					p.stats = st
					return &instFunc{plan: p, numIn: len(feeds), fetches: fetches}, nil
				}
			}
			// The optimized body does not compile: run the original,
			// which reports any real problem of the function.
		}
	}
	g, err := compileGraph(defs, l)
	if err != nil {
		return nil, err
	}
	p, err := g.newPlan(feeds, fetches, targets)
	if err != nil {
		return nil, err
	}
	// The plan sorts nothing: feeds keep the order of the arguments.
	return &instFunc{plan: p, numIn: len(feeds), fetches: fetches}, nil
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

func dedupe(s []string) []string {
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

// nodeNames returns the node names of tensor names ("x:0", "^x", "x").
func nodeNames(lists ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, t := range l {
			name, _, _ := splitInput(t)
			m[name] = true
		}
	}
	return m
}
