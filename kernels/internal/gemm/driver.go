package gemm

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// microKernel is a register-blocked micro-kernel and the cache blocking
// tuned for it. The driver packs op(A) into micro-panels of mr rows and
// op(B) into micro-panels of nr columns, and calls the kernel once per
// mr x nr tile of C.
type microKernel[T float] struct {
	name   string
	mr, nr int
	// Block sizes: an mc x kc block of packed A is meant to stay in the
	// L2 cache, a kc x nr micro-panel of B in L1, and a kc x nc block of
	// B in L3.
	mc, kc, nc int
	// tile sets C = A*B + beta*C on a full mr x nr tile of C, row i at
	// c[i*ldc], from the packed micro-panels a (a[p*mr+i]) and b
	// (b[p*nr+j]) of depth k >= 1. C is not read when beta is 0.
	tile func(k int, a, b, c *T, ldc int, beta T)
	// part, when not nil, does the same on the first rows x cols corner
	// of the tile only. Without it the driver computes partial tiles into
	// a scratch tile.
	part func(k int, a, b, c *T, ldc int, beta T, rows, cols int)
	// packRows, when not nil, packs alpha times k columns of mr full
	// rows of a row-major A (row i at a[i*lda]) into one micro-panel.
	packRows func(k int, a *T, lda int, alpha T, dst *T)
	// packRowsT, when not nil, does the same from A stored transposed:
	// the mr values of step p are adjacent at a[p*lda].
	packRowsT func(k int, a *T, lda int, alpha T, dst *T)
	// packCols, when not nil, packs nr full columns of k rows of a
	// row-major B (row p at b[p*ldb]) into one micro-panel.
	packCols func(k int, b *T, ldb int, dst *T)
	// packColsT, when not nil, does the same from B stored transposed:
	// column j of the panel is k elements of the row-major b[j*ldb].
	packColsT func(k int, b *T, ldb int, dst *T)

	// tileU and partU, when not nil, are tile and part reading A
	// unpacked: mr full rows of a row-major A, row i at a[i*lda], with
	// alpha 1. Packing A pays off only when each micro-panel of A meets
	// many micro-panels of B: tasks with at most unpackedPanels of them
	// read A unpacked.
	tileU          func(k int, a *T, lda int, b, c *T, ldc int, beta T)
	partU          func(k int, a *T, lda int, b, c *T, ldc int, beta T, rows, cols int)
	unpackedPanels int

	// dot and axpy, when not nil, serve the products that skip packing
	// (matrix-vector and tiny ones): dot returns the sum of x[i]*y[i] and
	// axpy sets y[i] += alpha*x[i], for i < n (n >= 1).
	dot  func(n int, x, y *T) T
	axpy func(n int, alpha T, x, y *T)
}

// maxPackedB bounds the elements of one packed block of B (k x nc):
// 8 MiB of float32. Larger products get narrower column blocks.
const maxPackedB = 2 << 20

// packed computes C = alpha*op(A)*op(B) + beta*C with the kernel on up to
// threads goroutines (the caller's included).
//
// The loops are BLIS's, with the depth loop moved inside the tasks so
// that the threads hardly ever wait for each other, which matters on a
// machine busy with other processes, where any thread may be put to
// sleep for milliseconds at any time:
//
//	for each column block of C (jc, nc wide):
//		pack op(B)[:, jc] whole (k x nc), in chunks that all threads
//		claim from a shared counter
//		for each task (a row block of C, or part of one), claimed
//		from a shared counter:
//			for each depth block (pc, kc deep):
//				pack op(A)[ic, pc] into this thread's buffer (L2)
//				macro-kernel: C[ic, jc] += A[ic, pc] * B[pc, jc]
//
// A task that needs a chunk of B which another thread has claimed but not
// packed yet packs a private copy instead of waiting. The only waits left
// are, with more than one column block, for the tasks of the block
// before last (B is double buffered), and for the last task at the end.
// blocking returns the depth and column blocks of a k x n right-hand
// matrix for kern. Balanced blocks: k=257 with kc=256 gives two blocks of
// 129, not one of 256 and one of 1.
func blocking[T float](kern *microKernel[T], k, n int) (kc, kBlocks, nc, nBlocks int) {
	kBlocks = ceilDiv(k, kern.kc)
	kc = ceilDiv(k, kBlocks)
	nBlocks = max(ceilDiv(n, kern.nc), ceilDiv(k*roundUp(n, kern.nr), maxPackedB))
	nc = roundUp(ceilDiv(n, nBlocks), kern.nr)
	nBlocks = ceilDiv(n, nc)
	return kc, kBlocks, nc, nBlocks
}

func packed[T float](kern *microKernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, threads int) {
	packedPre(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads, nil)
}

// packedPre is packed with, when pre is not nil, B already packed for
// kern in the layout of the work loop: column block jb at jb*nc*k.
func packedPre[T float](kern *microKernel[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int, threads int, pre []T) {
	mr, nr := kern.mr, kern.nr
	p := getPlan[T]()
	defer putPlan(p)
	p.kern, p.transA, p.transB, p.m, p.n, p.k = kern, transA, transB, m, n, k
	p.pre = pre
	p.alpha, p.beta, p.a, p.lda, p.b, p.ldb, p.c, p.ldc = alpha, beta, a, lda, b, ldb, c, ldc
	p.kc, p.kBlocks, p.nc, p.nBlocks = blocking(kern, k, n)
	mPanels := ceilDiv(m, mr)
	p.mc = roundUp(ceilDiv(m, ceilDiv(m, kern.mc)), mr) // balanced row blocks
	p.nChunks = 1
	if threads > 1 && mPanels < 4*threads {
		// Too few rows to share: each task takes a block of rows (all
		// of them, mostly) and a part of the columns, so that B streams
		// through the caches only once.
		p.nChunks = min(4*threads, ceilDiv(p.nc, nr))
		p.tasks = ceilDiv(m, p.mc) * p.nChunks
		p.units = p.tasks
	} else {
		// Rows are claimed in shrinking pieces (guided scheduling): a
		// thread that starts late, or that the OS puts to sleep, holds
		// little work when the others run out of it.
		p.guided = true
		// Each task streams all of packed B through the cache: pieces
		// of at least 4 micro-panels of rows keep that cost small.
		p.minRows = min(p.mc, 4*mr)
		p.units = m
	}
	if p.guided {
		threads = min(threads, mPanels)
	} else {
		threads = min(threads, p.tasks)
	}
	threads = max(1, threads)
	p.threads = threads
	p.steps = slices.Grow(p.steps, p.nBlocks)[:p.nBlocks]
	chunks := 0
	for jb := range p.nBlocks {
		chunks += p.kBlocks * ceilDiv(ceilDiv(min(p.nc, n-jb*p.nc), nr), bChunk)
	}
	p.chunks = slices.Grow(p.chunks, chunks)[:chunks]
	clear(p.chunks)
	rest := p.chunks
	for jb := range p.steps {
		st := &p.steps[jb]
		st.bNext.Store(0)
		st.tNext.Store(0)
		st.tDone.Store(0)
		n := p.kBlocks * ceilDiv(ceilDiv(min(p.nc, p.n-jb*p.nc), nr), bChunk)
		st.chunkDone, rest = rest[:n:n], rest[n:]
	}

	bSize := p.nc * k
	if pre != nil {
		bSize = 0 // no packing buffers
	}
	b0 := getBuf[T](bSize)
	defer putBuf(b0)
	p.bufB[0], p.bufB[1] = *b0, *b0
	if pre == nil && threads > 1 && p.nBlocks > 1 {
		b1 := getBuf[T](bSize)
		defer putBuf(b1)
		p.bufB[1] = *b1
	}
	aSize := p.mc*p.kc + mr*nr // packed A and a scratch tile
	if threads == 1 {
		pa := getBuf[T](aSize)
		p.work(*pa, nil)
		putBuf(pa)
		return
	}
	sSize := bChunk * nr * p.kc

	p.cond.L = &p.mu
	var wg sync.WaitGroup
	var crash atomic.Value // a panic in a worker, re-raised on the caller's goroutine
	run := func() {
		defer func() {
			if r := recover(); r != nil {
				crash.CompareAndSwap(nil, r)
				p.abort()
			}
		}()
		pa := getBuf[T](aSize)
		defer putBuf(pa)
		ps := getBuf[T](sSize)
		defer putBuf(ps)
		p.work(*pa, *ps)
	}
	for range threads - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
	if r := crash.Load(); r != nil {
		panic(r)
	}
}

// plan is the state of one packed call shared by its threads.
type plan[T float] struct {
	kern           *microKernel[T]
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a              []T
	lda            int
	b              []T
	ldb            int
	c              []T
	ldc            int

	kc, nc, mc       int // block sizes of this call (mc: at most)
	kBlocks, nBlocks int
	threads          int

	// The tasks of one column block: with guided, pieces of rows of at
	// least minRows; else tasks fixed blocks of mc rows and 1/nChunks of
	// the columns. units is their total worth in tDone: rows or
	// tasks.
	guided  bool
	minRows int
	nChunks int
	tasks   int
	units   int

	// Two buffers of packed B (k x nc): with several column blocks,
	// threads may pack the next block while others still compute with
	// the current one. Depth block pc of B starts at pc*kc*nc.
	bufB   [2][]T
	pre    []T // B packed beforehand (PackedB), or nil
	steps  []stepState
	chunks []atomic.Bool // backing of the steps' chunkDone

	// Threads that wait for B or tasks to be done sleep on cond (after
	// spinning a little); the thread that completes them wakes them.
	mu      sync.Mutex
	cond    sync.Cond
	aborted atomic.Bool
}

// stepState counts the work of one column block that threads claimed
// and finished: the chunks of packed B, then the tasks.
type stepState struct {
	bNext     atomic.Int64
	chunkDone []atomic.Bool // chunk kb*groups+g: panels 4g.. of depth block kb
	tNext     atomic.Int64  // the next row (guided) or task
	tDone     atomic.Int64  // units done
}

// Plans are reused across calls, one pool per element type, so that a
// small product allocates nothing.
var plan32, plan64 sync.Pool

func planPool[T float]() *sync.Pool {
	if unsafe.Sizeof(T(0)) == 4 {
		return &plan32
	}
	return &plan64
}

func getPlan[T float]() *plan[T] {
	if p, ok := planPool[T]().Get().(*plan[T]); ok {
		return p
	}
	return new(plan[T])
}

// putPlan resets p, keeping the capacity of its slices but no reference
// to the caller's matrices, and returns it to the pool.
func putPlan[T float](p *plan[T]) {
	steps, chunks := p.steps[:0], p.chunks[:0]
	for i := range steps[:cap(steps)] {
		steps[:cap(steps)][i].chunkDone = nil
	}
	*p = plan[T]{}
	p.steps, p.chunks = steps, chunks
	planPool[T]().Put(p)
}

// claim takes the next task of a column block of the given number of
// micro-panels: rows i0..i0+mc of C, micro-panels cl..ch of B, worth
// units. ok is false when no work is left.
func (p *plan[T]) claim(st *stepState, panels int) (i0, mc, cl, ch, units int, ok bool) {
	if p.guided {
		for {
			cur := int(st.tNext.Load())
			rem := p.m - cur
			if rem <= 0 {
				return 0, 0, 0, 0, 0, false
			}
			size := min(rem, p.mc, max(p.minRows, roundUp(ceilDiv(rem, 2*p.threads), p.kern.mr)))
			if st.tNext.CompareAndSwap(int64(cur), int64(cur+size)) {
				return cur, size, 0, panels, size, true
			}
		}
	}
	t := int(st.tNext.Add(1) - 1)
	if t >= p.tasks {
		return 0, 0, 0, 0, 0, false
	}
	ib, c := t/p.nChunks, t%p.nChunks
	i0 = ib * p.mc
	return i0, min(p.mc, p.m-i0), c * panels / p.nChunks, (c + 1) * panels / p.nChunks, 1, true
}

// testPrivateB makes tasks use private copies of B always (tests only).
var testPrivateB = false

// bChunk is the number of micro-panels of B in one packing chunk.
const bChunk = 4

// wait blocks until done reports true or the call was aborted, and
// reports whether done is true. It spins for up to spinWait first, as
// BLAS libraries do: the other threads are usually about to finish, and a
// thread that went to sleep can take a long time to be woken up on a
// busy machine.
func (p *plan[T]) wait(done func() bool) bool {
	var start time.Time
	for i := 0; ; i++ {
		if done() {
			return true
		}
		if p.aborted.Load() {
			return false
		}
		if i%64 == 63 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > spinWait {
				break
			}
		}
		runtime.Gosched()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for !done() && !p.aborted.Load() {
		p.cond.Wait()
	}
	return !p.aborted.Load()
}

// spinWait is how long a thread spins before it sleeps.
const spinWait = time.Millisecond

// finished is called by the thread that completed the last piece of
// something other threads may wait for.
func (p *plan[T]) finished() {
	if p.threads == 1 {
		return
	}
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *plan[T]) abort() {
	p.aborted.Store(true)
	p.finished()
}

// work is the loop of one thread, with buf its buffer for packed A and a
// scratch tile, and scratch one for a chunk of packed B.
func (p *plan[T]) work(buf, scratch []T) {
	ap, tile := buf[:p.mc*p.kc], buf[p.mc*p.kc:]
	kern := p.kern
	nr := kern.nr
	for jb := 0; jb < p.nBlocks; jb++ {
		j0 := jb * p.nc
		nc := min(p.nc, p.n-j0)
		panels := ceilDiv(nc, nr)
		groups := ceilDiv(panels, bChunk)
		bChunks := int64(p.kBlocks * groups)
		st := &p.steps[jb]
		bp := p.bufB[jb%2]
		if p.pre != nil {
			bp = p.pre[jb*p.nc*p.k:]
			for i := range st.chunkDone {
				st.chunkDone[i].Store(true)
			}
			st.bNext.Store(bChunks)
		} else if jb >= 2 {
			// The buffer is free once the tasks of block jb-2 are done.
			prev := &p.steps[jb-2]
			if !p.wait(func() bool { return prev.tDone.Load() == int64(p.units) }) {
				return
			}
		}
		for {
			q := st.bNext.Add(1) - 1
			if q >= bChunks {
				break
			}
			kb, g := int(q)/groups, int(q)%groups
			k0 := kb * p.kc
			kc := min(p.kc, p.k-k0)
			lo := g * bChunk
			cols := min(nc, (lo+bChunk)*nr) - lo*nr
			packB(kern, p.transB, p.b, p.ldb, k0, j0+lo*nr, kc, cols, bp[k0*p.nc+lo*nr*kc:])
			st.chunkDone[q].Store(true)
		}
		for {
			i0, mc, cl, ch2, units, ok := p.claim(st, panels)
			if !ok {
				break
			}
			beta := p.beta
			unpacked := kern.tileU != nil && !p.transA && p.alpha == 1 && ch2-cl <= kern.unpackedPanels
			for kb := 0; kb < p.kBlocks && cl < ch2; kb++ {
				k0 := kb * p.kc
				kc := min(p.kc, p.k-k0)
				if !unpacked {
					packA(kern, p.transA, p.a, p.lda, i0, k0, mc, kc, p.alpha, ap)
				}
				for g := cl / bChunk; g*bChunk < ch2; g++ {
					lo, hi := max(g*bChunk, cl), min((g+1)*bChunk, ch2)
					cols := min(nc, hi*nr) - lo*nr
					src := bp[k0*p.nc+lo*nr*kc:]
					if !st.chunkDone[kb*groups+g].Load() || (testPrivateB && scratch != nil) {
						// Another thread is packing this chunk (or was put
						// to sleep doing so): pack a private copy rather
						// than wait.
						packB(kern, p.transB, p.b, p.ldb, k0, j0+lo*nr, kc, cols, scratch)
						src = scratch
					}
					cc := p.c[i0*p.ldc+j0+lo*nr:]
					if unpacked {
						macroU(kern, mc, cols, kc, p.a[i0*p.lda+k0:], p.lda, ap, src, cc, p.ldc, beta, tile)
					} else {
						macro(kern, mc, cols, kc, ap, src, cc, p.ldc, beta, tile)
					}
				}
				beta = 1
			}
			if st.tDone.Add(int64(units)) == int64(p.units) {
				p.finished()
			}
		}
	}
}

// macro runs the micro-kernel over an mc x nc block of C from packed
// blocks of A (mc x kc) and B (kc x nc): the kc x nr micro-panel of B
// stays in L1 while the micro-panels of A stream from L2. Kernels without
// a partial-tile entry compute the edges into tmp (mr*nr elements).
func macro[T float](kern *microKernel[T], mc, nc, kc int, ap, bp []T, c []T, ldc int, beta T, tmp []T) {
	mr, nr := kern.mr, kern.nr
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		_ = bp[jr*kc+nr*kc-1] // the whole micro-panel is in bounds
		bpan := &bp[jr*kc]
		for ir := 0; ir < mc; ir += mr {
			h := min(mr, mc-ir)
			_ = ap[ir*kc+mr*kc-1]
			apan := &ap[ir*kc]
			cc := c[ir*ldc+jr : ir*ldc+jr+(h-1)*ldc+w] // the tile's extent
			if h == mr && w == nr {
				kern.tile(kc, apan, bpan, &cc[0], ldc, beta)
				continue
			}
			if kern.part != nil {
				kern.part(kc, apan, bpan, &cc[0], ldc, beta, h, w)
				continue
			}
			kern.tile(kc, apan, bpan, &tmp[0], nr, 0)
			addTile(cc, ldc, tmp, nr, h, w, beta)
		}
	}
}

// macroU is macro reading the full micro-panels of A straight from the
// row-major a (row i of the block at a[i*lda]); rows past the last full
// micro-panel are packed into ap.
func macroU[T float](kern *microKernel[T], mc, nc, kc int, a []T, lda int, ap, bp []T, c []T, ldc int, beta T, tmp []T) {
	mr, nr := kern.mr, kern.nr
	full := mc / mr * mr
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		_ = bp[jr*kc+nr*kc-1]
		bpan := &bp[jr*kc]
		for ir := 0; ir < full; ir += mr {
			src := a[ir*lda : ir*lda+(mr-1)*lda+kc] // the panel's rows
			cc := c[ir*ldc+jr : ir*ldc+jr+(mr-1)*ldc+w]
			switch {
			case w == nr:
				kern.tileU(kc, &src[0], lda, bpan, &cc[0], ldc, beta)
			case kern.partU != nil:
				kern.partU(kc, &src[0], lda, bpan, &cc[0], ldc, beta, mr, w)
			default:
				kern.tileU(kc, &src[0], lda, bpan, &tmp[0], nr, 0)
				addTile(cc, ldc, tmp, nr, mr, w, beta)
			}
		}
	}
	if full < mc {
		packA(kern, false, a, lda, full, 0, mc-full, kc, 1, ap)
		macro(kern, mc-full, nc, kc, ap, bp, c[full*ldc:], ldc, beta, tmp)
	}
}

// addTile sets the h x w corner of C (c[i*ldc+j]) to tmp + beta*C, where
// tmp is a tile of width nr; C is not read when beta is 0.
func addTile[T float](c []T, ldc int, tmp []T, nr, h, w int, beta T) {
	for i := 0; i < h; i++ {
		row := c[i*ldc : i*ldc+w]
		t := tmp[i*nr : i*nr+w]
		if beta == 0 {
			copy(row, t)
			continue
		}
		for j := range row {
			row[j] = t[j] + beta*row[j]
		}
	}
}

// packA copies alpha*op(A)[i0:i0+mc, p0:p0+kc] into dst as micro-panels of
// mr rows: element (i, p) of panel q lands at dst[q*mr*kc + p*mr + i].
// Rows past mc are zero.
func packA[T float](kern *microKernel[T], trans bool, a []T, lda, i0, p0, mc, kc int, alpha T, dst []T) {
	mr := kern.mr
	for ir := 0; ir < mc; ir += mr {
		d := dst[ir*kc : ir*kc+mr*kc]
		h := min(mr, mc-ir)
		if trans {
			// op(A)[i][p] = a[p*lda+i]: the values of one p are adjacent.
			if h == mr && kern.packRowsT != nil {
				src := a[p0*lda+i0+ir:][:(kc-1)*lda+mr]
				kern.packRowsT(kc, &src[0], lda, alpha, &d[0])
				continue
			}
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:][:h]
				dp := d[p*mr : p*mr+mr]
				if alpha == 1 {
					copy(dp, src)
				} else {
					for i, v := range src {
						dp[i] = alpha * v
					}
				}
				clear(dp[h:])
			}
			continue
		}
		// op(A)[i][p] = a[i*lda+p]: interleave the rows.
		if h == mr && kern.packRows != nil {
			src := a[(i0+ir)*lda+p0:][:(mr-1)*lda+kc] // all of the panel's rows
			kern.packRows(kc, &src[0], lda, alpha, &d[0])
			continue
		}
		// Four rows at a time.
		i := 0
		for ; i+4 <= h; i += 4 {
			base := (i0+ir+i)*lda + p0
			r0 := a[base:][:kc]
			r1 := a[base+lda:][:kc]
			r2 := a[base+2*lda:][:kc]
			r3 := a[base+3*lda:][:kc]
			dd := d[i : i+(kc-1)*mr+4]
			for p := range r0 {
				q := dd[p*mr : p*mr+4 : p*mr+4]
				q[0], q[1], q[2], q[3] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p]
			}
		}
		for ; i < h; i++ {
			row := a[(i0+ir+i)*lda+p0:][:kc]
			dd := d[i : i+(kc-1)*mr+1]
			for p, v := range row {
				dd[p*mr] = alpha * v
			}
		}
		for i := h; i < mr; i++ {
			for p := 0; p < kc; p++ {
				d[p*mr+i] = 0
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc, j0:j0+nc] into dst as micro-panels of nr
// columns: element (p, j) of panel q lands at dst[q*nr*kc + p*nr + j].
// Columns past nc are zero.
func packB[T float](kern *microKernel[T], trans bool, b []T, ldb, p0, j0, kc, nc int, dst []T) {
	nr := kern.nr
	for jr := 0; jr < nc; jr += nr {
		d := dst[jr*kc : jr*kc+nr*kc]
		w := min(nr, nc-jr)
		if trans {
			// op(B)[p][j] = b[j*ldb+p]: each column of the panel is a row
			// of B.
			if w == nr && kern.packColsT != nil {
				src := b[(j0+jr)*ldb+p0:][:(nr-1)*ldb+kc]
				kern.packColsT(kc, &src[0], ldb, &d[0])
				continue
			}
			// Four at a time.
			j := 0
			for ; j+4 <= w; j += 4 {
				base := (j0+jr+j)*ldb + p0
				r0 := b[base:][:kc]
				r1 := b[base+ldb:][:kc]
				r2 := b[base+2*ldb:][:kc]
				r3 := b[base+3*ldb:][:kc]
				dd := d[j : j+(kc-1)*nr+4]
				for p := range r0 {
					q := dd[p*nr : p*nr+4 : p*nr+4]
					q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
				}
			}
			for ; j < w; j++ {
				row := b[(j0+jr+j)*ldb+p0:][:kc]
				dd := d[j : j+(kc-1)*nr+1]
				for p, v := range row {
					dd[p*nr] = v
				}
			}
			for j := w; j < nr; j++ {
				for p := 0; p < kc; p++ {
					d[p*nr+j] = 0
				}
			}
			continue
		}
		// op(B)[p][j] = b[p*ldb+j]: copy nr-wide pieces of each row.
		if w == nr && kern.packCols != nil {
			src := b[p0*ldb+j0+jr:][:(kc-1)*ldb+nr]
			kern.packCols(kc, &src[0], ldb, &d[0])
			continue
		}
		for p := 0; p < kc; p++ {
			dp := d[p*nr : p*nr+nr]
			n := copy(dp, b[(p0+p)*ldb+j0+jr:][:w])
			clear(dp[n:])
		}
	}
}

func ceilDiv(x, y int) int { return (x + y - 1) / y }

func roundUp(x, to int) int { return ceilDiv(x, to) * to }

// Packing buffers are reused across calls: a small cache per element
// type keeps the most recently returned ones. Unlike a sync.Pool, it is
// not emptied by every garbage collection, which in a busy program would
// make large products allocate (and zero) megabytes of buffers again and
// again. Their first element is aligned to 64 bytes (a cache line, one
// zmm register), so that the kernels' vector loads of packed panels never
// straddle two lines.
type bufCache[T float] struct {
	mu   sync.Mutex
	bufs []*[]T
}

// maxCachedBufs bounds the buffers a cache keeps: enough for a call on
// two threads (two blocks of B; a block of A and a chunk of B per
// thread) with some to spare. The largest is a block of B of at most
// maxPackedB elements.
const maxCachedBufs = 8

var (
	cache32 bufCache[float32]
	cache64 bufCache[float64]
)

func cacheOf[T float]() *bufCache[T] {
	var c any = &cache32
	if unsafe.Sizeof(T(0)) == 8 {
		c = &cache64
	}
	return c.(*bufCache[T])
}

const align = 64

// getBuf returns a buffer of n elements (not cleared): the smallest
// cached one that is large enough, or a new one.
func getBuf[T float](n int) *[]T {
	c := cacheOf[T]()
	c.mu.Lock()
	best := -1
	for i, b := range c.bufs {
		if cap(*b) >= n && (best < 0 || cap(*b) < cap(*c.bufs[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := c.bufs[best]
		c.bufs = append(c.bufs[:best], c.bufs[best+1:]...)
		c.mu.Unlock()
		*b = (*b)[:n]
		return b
	}
	c.mu.Unlock()
	size := int(unsafe.Sizeof(T(0)))
	s := make([]T, n+align/size)
	off := 0
	if mis := int(uintptr(unsafe.Pointer(&s[0])) % align); mis != 0 {
		off = (align - mis) / size
	}
	s = s[off : off+n : off+n]
	return &s
}

// putBuf returns a buffer to the cache; when the cache is full, the
// smallest buffer is dropped.
func putBuf[T float](b *[]T) {
	c := cacheOf[T]()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bufs) < maxCachedBufs {
		c.bufs = append(c.bufs, b)
		return
	}
	small := 0
	for i, x := range c.bufs {
		if cap(*x) < cap(*c.bufs[small]) {
			small = i
		}
	}
	if cap(*b) > cap(*c.bufs[small]) {
		c.bufs[small] = b
	}
}
