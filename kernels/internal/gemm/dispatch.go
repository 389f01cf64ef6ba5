package gemm

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/tfhub-go/tfhub/kernels/internal/simdpath"
)

// EnvPath is the environment variable that picks the Sgemm path at
// start-up: "avx512", "avx2" or "purego" (exact, lower case). Empty or
// "auto" means the fastest path the CPU supports. A path the CPU does not
// support, or an unknown name, leaves the fastest one in place and is
// reported by EnvError.
const EnvPath = "TFHUB_GEMM"

// Sentinel errors of SetPath and EnvError.
var (
	// ErrUnknownPath is returned for a name that is no Sgemm path.
	ErrUnknownPath = errors.New("gemm: unknown path")
	// ErrUnsupportedPath is returned for a path this build or CPU cannot
	// run (no AVX-512 or AVX2+FMA, a non-amd64 machine, or a build with
	// the noasm or purego tag).
	ErrUnsupportedPath = errors.New("gemm: path not supported on this machine")
)

// knownPaths are all path names, fastest first.
var knownPaths = []string{"avx512", "avx2", "purego"}

var (
	// available are the float32 kernels this machine runs, fastest
	// first; the pure-Go kernel is always last.
	available []*microKernel[float32]
	// active is the kernel Sgemm uses.
	active atomic.Pointer[microKernel[float32]]
	// envErr is why the value of EnvPath was not followed, if it was not.
	envErr error
)

// paths names the kernels of available.
var paths = simdpath.Set[microKernel[float32]]{
	Env: EnvPath, Known: knownPaths, ErrUnknown: ErrUnknownPath, ErrUnsupported: ErrUnsupportedPath,
	Name: func(k *microKernel[float32]) string { return k.name },
}

func init() {
	available = append(asmKernels(), goKernel32)
	paths.Available = available
	k, err := pathFromEnv(os.Getenv(EnvPath))
	envErr = err
	active.Store(k)
}

// pathFromEnv returns the kernel that the value v of EnvPath asks for:
// the fastest one for "" and "auto", and also, with an error, when v
// names no path this machine runs.
func pathFromEnv(v string) (*microKernel[float32], error) { return paths.FromEnv(v) }

func lookupPath(name string) (*microKernel[float32], error) { return paths.Lookup(name) }

// Paths returns the Sgemm paths this machine supports, fastest first.
// The last one is always "purego".
func Paths() []string { return paths.Names() }

// Path returns the name of the path Sgemm uses now.
func Path() string { return active.Load().name }

// SetPath makes Sgemm use the named path (one of Paths) until restore is
// called, which brings back the previous one. It is meant for tests and
// benchmarks that compare the paths; calls of Sgemm that run meanwhile
// use either path. On error the path does not change.
func SetPath(name string) (restore func(), err error) {
	k, err := lookupPath(name)
	if err != nil {
		return func() {}, err
	}
	prev := active.Swap(k)
	return func() { active.Store(prev) }, nil
}

// EnvError reports why the value of EnvPath was not followed at start-up,
// or nil when it was (or was not set).
func EnvError() error { return envErr }
