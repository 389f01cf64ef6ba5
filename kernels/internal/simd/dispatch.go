package simd

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/tfhub-go/tfhub/kernels/internal/simdpath"
)

// EnvPath is the environment variable that picks the path at start-up
// ("avx512", "avx2" or "purego"; empty or "auto" for the fastest). It is
// the same variable as package gemm's.
const EnvPath = "TFHUB_GEMM"

// ErrUnknownPath and ErrUnsupportedPath are the errors of SetPath.
var (
	ErrUnknownPath     = errors.New("simd: unknown path")
	ErrUnsupportedPath = errors.New("simd: path not supported on this machine")
)

var knownPaths = []string{"avx512", "avx2", "purego"}

// impl is one path's set of routines. Routines of an unmasked path
// process whole vectors only (n&^(lanes-1) elements, or channels per
// row); the wrappers finish the rest in Go.
type impl struct {
	name   string
	lanes  int
	masked bool

	binary    [5]func(dst, a, b *float32, n int)         // add, sub, mul, div, max
	scalar    [6]func(dst, a *float32, n int, s float32) // a+s, a-s, a*s, a/s, s-a, s/a
	clamp     func(dst, a *float32, n int, lo, hi float32)
	cvtInt32  func(dst, a *float32, n int)
	biasClamp [2]func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32) // plain, scaled
	dwRow     [2]func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32)
	adam      func(wOut, mOut, vOut, w, m, v, g *float32, n int, c1, c2, alpha, eps float32)
	unary     [3]func(dst, a *float32, n int) // exp, sigmoid, tanh
}

var (
	available []*impl
	active    atomic.Pointer[impl]
	envErr    error
)

// paths names the implementations of available.
var paths = simdpath.Set[impl]{
	Env: EnvPath, Known: knownPaths, ErrUnknown: ErrUnknownPath, ErrUnsupported: ErrUnsupportedPath,
	Name: func(k *impl) string { return k.name },
}

func init() {
	available = append(asmImpls(), goImpl)
	paths.Available = available
	k, err := pathFromEnv(os.Getenv(EnvPath))
	envErr = err
	active.Store(k)
}

func pathFromEnv(v string) (*impl, error) { return paths.FromEnv(v) }

func lookupPath(name string) (*impl, error) { return paths.Lookup(name) }

// Paths returns the paths this machine supports, fastest first; the last
// is always "purego".
func Paths() []string { return paths.Names() }

// Path returns the active path.
func Path() string { return active.Load().name }

// EnvError reports why the value of TFHUB_GEMM was not followed, if it
// was not.
func EnvError() error { return envErr }

// SetPath makes name the active path until restore is called. It is meant
// for tests and benchmarks; it is not safe to change paths while other
// goroutines use the package.
func SetPath(name string) (restore func(), err error) {
	k, err := lookupPath(name)
	if err != nil {
		return nil, err
	}
	old := active.Swap(k)
	return func() { active.Store(old) }, nil
}
