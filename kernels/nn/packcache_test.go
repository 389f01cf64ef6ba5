package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/tfhub-go/tfhub/kernels/internal/gemm"
)

// TestFilterCache checks that a filter tensor is packed once per GEMM
// path, and that small filters are not cached.
func TestFilterCache(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	f := randF32(r, 3, 3, 32, 64)
	a := packedFilter(f, 3*3*32, 64)
	if a == nil || packedFilter(f, 3*3*32, 64) != a {
		t.Fatal("the second lookup of a filter packed it again")
	}
	if g := randF32(r, 3, 3, 32, 64); packedFilter(g, 3*3*32, 64) == a {
		t.Fatal("another filter tensor got the first one's packed copy")
	}
	if packedFilter(randF32(r, 1, 1, 8, 8), 8, 8) != nil {
		t.Fatal("a tiny filter was cached")
	}
	for _, p := range gemm.Paths() {
		restore, err := gemm.SetPath(p)
		if err != nil {
			t.Fatal(err)
		}
		pb := packedFilter(f, 3*3*32, 64)
		if !pb.Current() {
			t.Errorf("path %s: the cached filter is packed for another path", p)
		}
		restore()
	}
}
