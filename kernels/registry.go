package kernels

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnsupportedOp reports an op that has no kernel.
var ErrUnsupportedOp = errors.New("unsupported op")

// ErrRefusedOp reports an op that a module may never run (it would execute
// external code or reach outside the process).
var ErrRefusedOp = errors.New("op refused by policy")

// Func computes one node: it reads inputs and attrs from c and sets every
// output it produces with c.SetOutput.
type Func func(c *Context) error

// Def registers one op.
type Def struct {
	// Op is the TensorFlow op name ("Conv2D").
	Op string
	// Fn is the kernel. It is nil for the ops the executor implements itself
	// (Switch, Merge, Enter, Exit, NextIteration, LoopCond).
	Fn Func
	// Outputs names the op's output args in order, when the op has more than
	// one arg or a repeated one (single-output ops may leave it empty). The
	// form of each entry is "name", "name*N" (repeated by the int attr N), or
	// "name[T]" (one output per type in the list attr T). The runtime uses it
	// to map a function body's "node:arg:index" references to flat outputs;
	// a test checks it against TensorFlow's op registry.
	Outputs []string
	// RefInputs lists the inputs that take a reference (TF1 ref variables);
	// every other input receives the variable's current value.
	RefInputs []int
	// Stateful marks ops with side effects or state, never constant-folded.
	Stateful bool
	// ControlFlow marks the dataflow control-flow ops handled by the
	// executor (Fn is nil).
	ControlFlow bool
	// Refused marks ops that a module may never run; loading a graph that
	// contains one fails with ErrRefusedOp and this reason.
	Refused string
	// Internal marks ops that TensorFlow keeps out of its public op
	// registry and only creates in its own graph rewrites (names starting
	// with "_", such as _FusedConv2D). The runtime's load-time optimizer
	// emits them; they are listed by Ops but have no graph constructor.
	Internal bool
}

var (
	regMu    sync.RWMutex
	registry = map[string]*Def{}
)

// Register adds an op to the registry. It panics on a duplicate
// registration: registration happens in init functions and a duplicate is a
// programming error.
func Register(d Def) {
	regMu.Lock()
	defer regMu.Unlock()
	if d.Op == "" {
		panic("kernels: Register with empty op name")
	}
	if _, dup := registry[d.Op]; dup {
		panic("kernels: duplicate registration of " + d.Op)
	}
	if d.Fn == nil && !d.ControlFlow && d.Refused == "" {
		panic("kernels: " + d.Op + " has no kernel")
	}
	dd := d
	registry[d.Op] = &dd
}

// Lookup returns the registration of op.
func Lookup(op string) (*Def, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := registry[op]
	return d, ok
}

// Ops returns the names of all ops with a kernel, sorted. Ops refused by
// policy are not included.
func Ops() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var names []string
	for n, d := range registry {
		if d.Refused == "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// OutputArg describes one output arg of an op.
type OutputArg struct {
	Name         string
	NumberAttr   string // repeated by this int attr
	TypeListAttr string // one output per type in this list attr
}

// OutputArgs parses d.Outputs.
func (d *Def) OutputArgs() []OutputArg {
	args := make([]OutputArg, 0, len(d.Outputs))
	for _, s := range d.Outputs {
		a := OutputArg{Name: s}
		if i := strings.IndexByte(s, '*'); i >= 0 {
			a.Name, a.NumberAttr = s[:i], s[i+1:]
		} else if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
			a.Name, a.TypeListAttr = s[:i], s[i+1:len(s)-1]
		}
		args = append(args, a)
	}
	return args
}

// IsRefInput reports whether input i takes a reference.
func (d *Def) IsRefInput(i int) bool {
	for _, r := range d.RefInputs {
		if r == i {
			return true
		}
	}
	return false
}

// OpError is the error of a kernel: it names the node and the op.
type OpError struct {
	Node string
	Op   string
	Err  error
}

func (e *OpError) Error() string { return fmt.Sprintf("%s (op %s): %v", e.Node, e.Op, e.Err) }
func (e *OpError) Unwrap() error { return e.Err }
