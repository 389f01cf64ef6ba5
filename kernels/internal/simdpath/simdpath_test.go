package simdpath

import (
	"errors"
	"testing"
)

type impl struct{ name string }

var (
	errUnknown     = errors.New("unknown path")
	errUnsupported = errors.New("unsupported path")
)

func TestSet(t *testing.T) {
	fast, slow := &impl{"avx2"}, &impl{"purego"}
	s := Set[impl]{Env: "X", Known: []string{"avx512", "avx2", "purego"}, ErrUnknown: errUnknown, ErrUnsupported: errUnsupported,
		Name: func(i *impl) string { return i.name }, Available: []*impl{fast, slow}}
	if got := s.Names(); len(got) != 2 || got[0] != "avx2" || got[1] != "purego" {
		t.Fatalf("Names = %v", got)
	}
	for _, tc := range []struct {
		v    string
		want *impl
		err  error
	}{{"", fast, nil}, {"auto", fast, nil}, {"purego", slow, nil}, {"avx512", fast, errUnsupported}, {"AVX2", fast, errUnknown}} {
		got, err := s.FromEnv(tc.v)
		if got != tc.want || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("FromEnv(%q) = %v, %v; want %v, %v", tc.v, got, err, tc.want, tc.err)
		}
	}
	if _, err := s.Lookup("sse"); !errors.Is(err, errUnknown) {
		t.Errorf("Lookup(sse): %v", err)
	}
}
