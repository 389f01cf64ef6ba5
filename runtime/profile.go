package runtime

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// OpStat is the time a session's kernels of one op type took while
// profiling was on (like TensorFlow's benchmark_model summary).
type OpStat struct {
	Op    string
	Calls int64
	Total time.Duration
}

// profiler accumulates kernel times by op type.
type profiler struct {
	on    atomic.Bool
	stats sync.Map // op -> *opCounter
}

type opCounter struct {
	calls, nanos atomic.Int64
}

func (p *profiler) add(op string, d time.Duration) {
	v, ok := p.stats.Load(op)
	if !ok {
		v, _ = p.stats.LoadOrStore(op, &opCounter{})
	}
	c := v.(*opCounter)
	c.calls.Add(1)
	c.nanos.Add(int64(d))
}

// SetProfiling turns the timing of every kernel by op type on or off
// (off by default: it costs two clock reads per node). The ops that call
// functions (PartitionedCall, While, If...) include the time of their
// bodies, whose nodes are also counted under their own op types.
func (s *Session) SetProfiling(on bool) { s.prof.on.Store(on) }

// OpProfile returns the kernel times recorded since profiling was turned
// on or the profile reset, by total time, longest first.
func (s *Session) OpProfile() []OpStat {
	var out []OpStat
	s.prof.stats.Range(func(k, v any) bool {
		c := v.(*opCounter)
		out = append(out, OpStat{Op: k.(string), Calls: c.calls.Load(), Total: time.Duration(c.nanos.Load())})
		return true
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Op < out[j].Op
	})
	return out
}

// ResetProfile clears the recorded kernel times.
func (s *Session) ResetProfile() { s.prof.stats.Clear() }
