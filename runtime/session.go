// Package runtime executes TensorFlow graphs with the project's kernels.
//
// A Session holds one compiled graph, its function library and the
// resources (variables, tables) of one loaded model. Run executes exactly
// the part of the graph that the fetches and targets need, given the feeds,
// and supports TensorFlow's dataflow control flow (Switch, Merge, Enter,
// Exit, NextIteration) with frames and dead-tensor propagation, and
// functional calls into the library (PartitionedCall, While, If...).
// A Session is safe for concurrent use; state lives in its resources.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/tensor"
)

// ErrNotFound reports a node or tensor name that is not in the graph.
var ErrNotFound = errors.New("not found")

// ErrNotComputed reports a fetch that the run could not produce (for
// example because it lies on an untaken branch).
var ErrNotComputed = errors.New("fetch not computed")

// Options configures a Session.
type Options struct {
	// Resources is the resource manager; nil creates a new one.
	Resources *kernels.Resources
	// FS confines the file access of kernels; nil refuses all file access.
	FS kernels.FS
	// Limits bounds tensor sizes.
	Limits kernels.Limits
	// MaxCallDepth bounds nested function calls (default 200).
	MaxCallDepth int
	// DisableOptimizer turns off the load-time optimizer (constant
	// folding, fusion of convolutions and matrix products with their bias
	// or batch norm and activation). The environment variable
	// TFHUB_NO_OPTIMIZER does it for every session.
	DisableOptimizer bool
	// NoBufferReuse turns off the recycling of the float32 buffers of
	// dead tensors (within a call and across calls). The environment
	// variable TFHUB_NO_BUFFER_REUSE does it for every session.
	NoBufferReuse bool
	// PoolBytes bounds the idle memory kept for reuse (default 256 MiB).
	PoolBytes int64
}

// Session runs one graph.
type Session struct {
	def   *tfpb.GraphDef
	g     *Graph
	lib   *Library
	res   *kernels.Resources
	opts  Options
	plans sync.Map // planKey -> *plan
	env   *callEnv
	pool  *bufferPool // nil when buffer reuse is off
	prof  profiler
}

// NewSession compiles graph. Every op of the graph and of its function
// library must have a kernel; otherwise the error is a *MissingOpsError
// that names each missing op with a node using it.
func NewSession(graph *tfpb.GraphDef, opts Options) (*Session, error) {
	if opts.Resources == nil {
		opts.Resources = kernels.NewResources()
	}
	if opts.MaxCallDepth <= 0 {
		opts.MaxCallDepth = 200
	}
	lib, err := NewLibrary(graph.GetLibrary())
	if err != nil {
		return nil, err
	}
	if err := lib.checkRecursion(); err != nil {
		return nil, err
	}
	var gerr *MissingOpsError
	g, err := compileGraph(graph.GetNode(), lib)
	if err != nil && !errors.As(err, &gerr) {
		return nil, err
	}
	if lerr := lib.check(); lerr != nil {
		var le *MissingOpsError
		if !errors.As(lerr, &le) {
			return nil, lerr
		}
		if gerr == nil {
			gerr = le
		} else {
			for op, n := range le.Ops {
				if _, ok := gerr.Ops[op]; !ok {
					gerr.Ops[op] = n
				}
			}
		}
	}
	if gerr != nil {
		return nil, fmt.Errorf("runtime: %w", gerr)
	}
	s := &Session{def: graph, g: g, lib: lib, res: opts.Resources, opts: opts}
	s.env = &callEnv{s: s}
	lib.env, lib.optimize = s.env, !optimizerDisabled(opts)
	if !bufferReuseDisabled(opts) {
		s.pool = newBufferPool(opts.PoolBytes)
	}
	return s, nil
}

// Resources returns the session's resource manager.
func (s *Session) Resources() *kernels.Resources { return s.res }

// Graph returns the compiled graph.
func (s *Session) Graph() *Graph { return s.g }

// Library returns the function library.
func (s *Session) Library() *Library { return s.lib }

// Run feeds tensors by name ("x:0", or "x" for output 0), runs the targets
// (node names) and returns the fetched tensors in order.
func (s *Session) Run(ctx context.Context, feeds map[string]*tensor.Tensor, fetches, targets []string) ([]*tensor.Tensor, error) {
	names := make([]string, 0, len(feeds))
	for k := range feeds {
		names = append(names, k)
	}
	sort.Strings(names)
	vals := make([]*tensor.Tensor, len(names))
	for i, n := range names {
		if feeds[n] == nil {
			return nil, fmt.Errorf("runtime: feed %q is nil", n)
		}
		vals[i] = feeds[n]
	}
	key := planKey(names, fetches, targets)
	var p *plan
	if v, ok := s.plans.Load(key); ok {
		p = v.(*plan)
	} else {
		var err error
		p, err = s.newPlan(ctx, names, fetches, targets)
		if err != nil {
			return nil, err
		}
		s.plans.Store(key, p)
	}
	return s.env.execute(ctx, p, vals, fetches)
}

// newPlan plans a run on the graph optimized for these feeds and
// fetches, or on the graph itself when the optimizer is off or changes
// nothing.
func (s *Session) newPlan(ctx context.Context, feeds, fetches, targets []string) (*plan, error) {
	if s.lib.optimize {
		od, st := optimizeDefs(ctx, s.def.GetNode(), nodeNames(feeds), nodeNames(fetches, targets), s.env, s.lib)
		if st.changed() {
			if g, err := compileGraph(od, s.lib); err == nil {
				if p, err := g.newPlan(feeds, fetches, targets); err == nil {
					p.stats = st
					return p, nil
				}
			}
			// Should the optimized graph not compile, the original one
			// reports any real problem.
		}
	}
	return s.g.newPlan(feeds, fetches, targets)
}

// OptimizeStats sums what the load-time optimizer did to the graphs
// planned so far: the session graph, once per distinct set of feeds and
// fetches, and each instantiated function body.
func (s *Session) OptimizeStats() OptimizeStats {
	var t OptimizeStats
	s.plans.Range(func(_, v any) bool {
		t.add(v.(*plan).stats)
		return true
	})
	s.lib.mu.Lock()
	for _, f := range s.lib.inst {
		t.add(f.plan.stats)
	}
	s.lib.mu.Unlock()
	return t
}

// callEnv implements kernels.Env for a session.
type callEnv struct {
	s *Session
}

type depthKey struct{}

func (e *callEnv) Resources() *kernels.Resources { return e.s.res }
func (e *callEnv) FS() kernels.FS                { return e.s.opts.FS }
func (e *callEnv) Limits() kernels.Limits        { return e.s.opts.Limits }

// CallFunction instantiates and runs a library function.
func (e *callEnv) CallFunction(ctx context.Context, fn *tfpb.NameAttrList, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	depth, _ := ctx.Value(depthKey{}).(int)
	if depth >= e.s.opts.MaxCallDepth {
		return nil, fmt.Errorf("%w: function %s: nested calls deeper than %d (MaxCallDepth)", kernels.ErrLimit, fn.GetName(), e.s.opts.MaxCallDepth)
	}
	f, err := e.s.lib.instantiate(ctx, fn)
	if err != nil {
		return nil, err
	}
	if len(inputs) != f.numIn {
		return nil, fmt.Errorf("%w: function %s takes %d inputs, got %d", kernels.ErrInvalidArgument, fn.GetName(), f.numIn, len(inputs))
	}
	ctx = context.WithValue(ctx, depthKey{}, depth+1)
	outs, err := e.execute(ctx, f.plan, inputs, f.fetches)
	if err != nil {
		return nil, fmt.Errorf("in function %s: %w", fn.GetName(), err)
	}
	return outs, nil
}

func (e *callEnv) execute(ctx context.Context, p *plan, feeds []*tensor.Tensor, fetchNames []string) ([]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x := &execution{ctx: ctx, p: p, env: e, feeds: feeds,
		results: make([]value, len(p.fetches)), got: make([]bool, len(p.fetches))}
	if e.s.pool != nil {
		x.alloc = newExecAlloc(e.s.pool)
		x.ctx = kernels.WithAllocator(ctx, x.alloc)
	}
	if m := e.s.opts.Limits.MaxLiveBytes; m > 0 {
		x.maxLive, x.holders = m, map[*tensor.Tensor]int{}
	}
	if err := x.run(); err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(p.fetches))
	for i := range p.fetches {
		if fi := p.fetchFed[i]; fi >= 0 {
			out[i] = feeds[fi]
			continue
		}
		if !x.got[i] {
			return nil, fmt.Errorf("runtime: %w: %s (its node never ran)", ErrNotComputed, fetchNames[i])
		}
		v := x.results[i]
		if v.dead {
			return nil, fmt.Errorf("runtime: %w: %s is on an untaken branch (dead)", ErrNotComputed, fetchNames[i])
		}
		t, err := x.readValue(v)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}
