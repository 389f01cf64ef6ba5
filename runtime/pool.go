package runtime

import (
	"os"
	"reflect"
	"sync"
	"unsafe"

	"github.com/tfhub-go/tfhub/tensor"
)

// EnvNoBufferReuse is the environment variable that turns buffer reuse
// off for every session when set to a non-empty value other than "0"
// (for debugging; Options.NoBufferReuse does it per session).
const EnvNoBufferReuse = "TFHUB_NO_BUFFER_REUSE"

// defaultPoolBytes bounds the idle memory a session's buffer pool keeps.
const defaultPoolBytes = 256 << 20

func bufferReuseDisabled(o Options) bool {
	if o.NoBufferReuse {
		return true
	}
	v := os.Getenv(EnvNoBufferReuse)
	return v != "" && v != "0"
}

// bufferPool keeps the float32 buffers of dead tensors of a session for
// later outputs, by exact length. It is shared by concurrent runs.
type bufferPool struct {
	mu    sync.Mutex
	free  map[int][][]float32
	idle  int64 // bytes held
	limit int64
}

func newBufferPool(limit int64) *bufferPool {
	if limit <= 0 {
		limit = defaultPoolBytes
	}
	return &bufferPool{free: map[int][][]float32{}, limit: limit}
}

func (p *bufferPool) get(n int) []float32 {
	p.mu.Lock()
	l := p.free[n]
	if len(l) == 0 {
		p.mu.Unlock()
		return make([]float32, n)
	}
	b := l[len(l)-1]
	p.free[n] = l[:len(l)-1]
	p.idle -= int64(4 * n)
	p.mu.Unlock()
	clear(b)
	return b
}

func (p *bufferPool) put(b []float32) {
	n := int64(4 * len(b))
	p.mu.Lock()
	if p.idle+n <= p.limit {
		p.free[len(b)] = append(p.free[len(b)], b)
		p.idle += n
	}
	p.mu.Unlock()
}

// pooled is a buffer handed out during one execution: the number of node
// input slots holding a tensor that starts at it, and whether it may
// never be recycled (it escaped: fetched, stored, or aliased).
type pooled struct {
	buf    []float32
	refs   int
	pinned bool
}

// execAlloc is the kernels.Allocator of one execution: it hands out
// buffers from the session pool and remembers them, so that the executor
// can give each back when the last node input holding it is released.
type execAlloc struct {
	pool *bufferPool
	mu   sync.Mutex // kernels may allocate from several goroutines
	bufs map[unsafe.Pointer]*pooled
	off  bool // allocate plain memory (for kernels that keep what they make)
}

func newExecAlloc(p *bufferPool) *execAlloc {
	return &execAlloc{pool: p} // bufs is made on the first allocation
}

// Float32s implements kernels.Allocator.
func (a *execAlloc) Float32s(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.off {
		return make([]float32, n)
	}
	b := a.pool.get(n)
	if a.bufs == nil {
		a.bufs = map[unsafe.Pointer]*pooled{}
	}
	a.bufs[unsafe.Pointer(&b[0])] = &pooled{buf: b}
	return b
}

func (a *execAlloc) setOff(off bool) {
	a.mu.Lock()
	a.off = off
	a.mu.Unlock()
}

// pinShared pins a pooled output buffer that another output of the same
// node also uses (sub-slices of one allocation).
func (a *execAlloc) pinShared(outs []*tensor.Tensor) {
	if len(outs) < 2 {
		return
	}
	for i, o := range outs {
		p := a.lookup(o)
		if p == nil || p.pinned {
			continue
		}
		lo := uintptr(unsafe.Pointer(&p.buf[0]))
		hi := lo + uintptr(4*len(p.buf))
		for j, q := range outs {
			if j == i || q == nil || q == o {
				continue
			}
			if qlo, qhi, ok := dataRange(q); ok && qlo < hi && lo < qhi {
				p.pinned = true
				break
			}
		}
	}
}

// lookup returns the record of the buffer a float32 tensor starts at.
func (a *execAlloc) lookup(t *tensor.Tensor) *pooled {
	if t == nil || t.DType() != tensor.Float32 {
		return nil
	}
	d := t.Float32s()
	if len(d) == 0 {
		return nil
	}
	a.mu.Lock()
	var p *pooled
	if a.bufs != nil {
		p = a.bufs[unsafe.Pointer(&d[0])]
	}
	a.mu.Unlock()
	return p
}

func (a *execAlloc) hold(t *tensor.Tensor) {
	if p := a.lookup(t); p != nil {
		p.refs++
	}
}

func (a *execAlloc) release(t *tensor.Tensor) {
	p := a.lookup(t)
	if p == nil {
		return
	}
	p.refs--
	if p.refs <= 0 && !p.pinned {
		a.mu.Lock()
		delete(a.bufs, unsafe.Pointer(&p.buf[0]))
		a.mu.Unlock()
		a.pool.put(p.buf)
	}
}

// pin marks the buffer of t as escaped.
func (a *execAlloc) pin(t *tensor.Tensor) {
	if p := a.lookup(t); p != nil {
		p.pinned = true
	}
}

// pinAliases pins every pooled buffer among ins that an output shares
// memory with: a view (Reshape, Identity, a slice...) keeps its input's
// buffer alive beyond the input's own holders.
func (a *execAlloc) pinAliases(ins, outs []*tensor.Tensor) {
	for _, in := range ins {
		p := a.lookup(in)
		if p == nil || p.pinned {
			continue
		}
		lo := uintptr(unsafe.Pointer(&p.buf[0]))
		hi := lo + uintptr(4*len(p.buf))
		for _, o := range outs {
			if o == nil {
				continue
			}
			olo, ohi, ok := dataRange(o)
			if ok && olo < hi && lo < ohi {
				p.pinned = true
				break
			}
		}
	}
}

// dataRange returns the address range of a tensor's elements.
func dataRange(t *tensor.Tensor) (lo, hi uintptr, ok bool) {
	if t.DType() == tensor.Float32 {
		d := t.Float32s()
		if len(d) == 0 {
			return 0, 0, false
		}
		lo = uintptr(unsafe.Pointer(&d[0]))
		return lo, lo + uintptr(4*len(d)), true
	}
	v := reflect.ValueOf(t.Data())
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return 0, 0, false
	}
	lo = uintptr(v.UnsafePointer())
	return lo, lo + uintptr(v.Len())*v.Type().Elem().Size(), true
}
