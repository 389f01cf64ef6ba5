package simd

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
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

func init() {
	available = append(asmImpls(), goImpl)
	k, err := pathFromEnv(os.Getenv(EnvPath))
	envErr = err
	active.Store(k)
}

func pathFromEnv(v string) (*impl, error) {
	if v == "" || v == "auto" {
		return available[0], nil
	}
	k, err := lookupPath(v)
	if err != nil {
		return available[0], fmt.Errorf("%w (from %s)", err, EnvPath)
	}
	return k, nil
}

func lookupPath(name string) (*impl, error) {
	for _, k := range available {
		if k.name == name {
			return k, nil
		}
	}
	if slices.Contains(knownPaths, name) {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedPath, name)
	}
	return nil, fmt.Errorf("%w: %q (want one of %q)", ErrUnknownPath, name, knownPaths)
}

// Paths returns the paths this machine supports, fastest first; the last
// is always "purego".
func Paths() []string {
	names := make([]string, len(available))
	for i, k := range available {
		names[i] = k.name
	}
	return names
}

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
