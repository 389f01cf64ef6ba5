// Package simdpath picks among the implementations of a set of SIMD
// routines (paths such as avx512, avx2, purego) by name, for the packages
// that have several: the choice from an environment variable at start-up
// and the lookups of their SetPath test hooks.
package simdpath

import (
	"fmt"
	"slices"
)

// Set is the implementations a machine runs, fastest first, and how to
// name and report them.
type Set[T any] struct {
	// Env is the environment variable that picks a path.
	Env string
	// Known are all path names, runnable here or not.
	Known []string
	// ErrUnknown and ErrUnsupported are the package's sentinel errors for
	// a name that is no path and a path this machine cannot run.
	ErrUnknown, ErrUnsupported error
	// Name returns an implementation's path name.
	Name func(*T) string
	// Available are the implementations this machine runs, fastest
	// first; it must not be empty.
	Available []*T
}

// FromEnv returns the implementation that the value v of the environment
// variable asks for: the fastest for "" and "auto", and also, with an
// error, when v names no path this machine runs.
func (s *Set[T]) FromEnv(v string) (*T, error) {
	if v == "" || v == "auto" {
		return s.Available[0], nil
	}
	k, err := s.Lookup(v)
	if err != nil {
		return s.Available[0], fmt.Errorf("%w (from %s)", err, s.Env)
	}
	return k, nil
}

// Lookup returns the implementation of a path name.
func (s *Set[T]) Lookup(name string) (*T, error) {
	for _, k := range s.Available {
		if s.Name(k) == name {
			return k, nil
		}
	}
	if slices.Contains(s.Known, name) {
		return nil, fmt.Errorf("%w: %q", s.ErrUnsupported, name)
	}
	return nil, fmt.Errorf("%w: %q (want one of %q)", s.ErrUnknown, name, s.Known)
}

// Names returns the names of the available paths, fastest first.
func (s *Set[T]) Names() []string {
	names := make([]string, len(s.Available))
	for i, k := range s.Available {
		names[i] = s.Name(k)
	}
	return names
}
