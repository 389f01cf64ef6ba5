package kernels

import (
	"context"
	"errors"
	"fmt"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/tensor"
)

// ErrInvalidArgument reports bad inputs or attrs to a kernel.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrLimit reports a resource limit that a node would exceed.
var ErrLimit = errors.New("resource limit exceeded")

// Env is what the runtime gives a kernel beyond its inputs: shared
// resources, function calls, file access and limits. The runtime
// implements it; kernels only use it through Context.
type Env interface {
	// Resources returns the resource manager of the loaded model.
	Resources() *Resources
	// CallFunction runs a function of the graph's library.
	CallFunction(ctx context.Context, fn *tfpb.NameAttrList, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	// FS authorizes file access.
	FS() FS
	// Limits returns the resource limits in force.
	Limits() Limits
}

// FS confines the file access of kernels. A kernel asks it for a path
// before it opens, creates or removes a file, and uses only the path it gets
// back.
type FS interface {
	// ReadPath checks that path may be read and returns the path to use.
	ReadPath(path string) (string, error)
	// WritePath checks that path may be created, written or removed and
	// returns the path to use.
	WritePath(path string) (string, error)
}

// Limits bounds what one call may allocate. Zero means no limit.
type Limits struct {
	// MaxTensorBytes bounds the size of any one tensor a kernel allocates.
	MaxTensorBytes int64
	// MaxElements bounds the element count of a tensor made by a
	// shape-creating op (Fill, Range, Tile, Reshape, random ops, lists).
	MaxElements int64
	// MaxLiveBytes bounds the bytes of the tensors alive at once in one
	// graph execution (each function call is accounted separately).
	MaxLiveBytes int64
}

// Node is what a kernel sees of the node it runs for.
type Node interface {
	Name() string
	Op() string
	Attr(name string) (*tfpb.AttrValue, bool)
}

// Context carries one node's execution: inputs, attrs, outputs and the
// environment.
type Context struct {
	ctx     context.Context
	node    Node
	inputs  []*tensor.Tensor
	refs    []*Variable
	outputs []*tensor.Tensor
	outRefs []*Variable
	env     Env
}

// NewContext returns a context to run one node. inputs holds the input
// values; refs holds, for ref inputs, the referenced variables (else nil).
// It is used by the runtime and by kernel tests.
func NewContext(ctx context.Context, node Node, inputs []*tensor.Tensor, refs []*Variable, env Env) *Context {
	return &Context{ctx: ctx, node: node, inputs: inputs, refs: refs, env: env}
}

// Ctx returns the call's context.Context. Long kernels check it.
func (c *Context) Ctx() context.Context { return c.ctx }

// Node returns the node being run.
func (c *Context) Node() Node { return c.node }

// NumInputs returns the number of data inputs.
func (c *Context) NumInputs() int { return len(c.inputs) }

// Input returns input i.
func (c *Context) Input(i int) *tensor.Tensor { return c.inputs[i] }

// Inputs returns all inputs.
func (c *Context) Inputs() []*tensor.Tensor { return c.inputs }

// InputRef returns the variable behind ref input i, or nil if input i is
// not a reference.
func (c *Context) InputRef(i int) *Variable {
	if i < len(c.refs) {
		return c.refs[i]
	}
	return nil
}

// SetOutput sets output i.
func (c *Context) SetOutput(i int, t *tensor.Tensor) {
	for len(c.outputs) <= i {
		c.outputs = append(c.outputs, nil)
	}
	c.outputs[i] = t
}

// SetOutputRef sets output i to a reference to v.
func (c *Context) SetOutputRef(i int, v *Variable) {
	for len(c.outRefs) <= i {
		c.outRefs = append(c.outRefs, nil)
	}
	c.outRefs[i] = v
	c.SetOutput(i, nil)
}

// Outputs returns the outputs set by the kernel.
func (c *Context) Outputs() []*tensor.Tensor { return c.outputs }

// OutputRefs returns the reference outputs set by the kernel (nil entries
// for plain outputs).
func (c *Context) OutputRefs() []*Variable { return c.outRefs }

// Env returns the runtime environment. It may be nil in kernel tests.
func (c *Context) Env() Env { return c.env }

// Resources returns the model's resource manager.
func (c *Context) Resources() (*Resources, error) {
	if c.env == nil || c.env.Resources() == nil {
		return nil, c.Errorf("no resource manager")
	}
	return c.env.Resources(), nil
}

// FS returns the file-access policy; without an environment, all access is
// refused.
func (c *Context) FS() FS {
	if c.env == nil || c.env.FS() == nil {
		return denyFS{}
	}
	return c.env.FS()
}

type denyFS struct{}

func (denyFS) ReadPath(p string) (string, error) {
	return "", fmt.Errorf("file access refused: no file system for %q", p)
}
func (denyFS) WritePath(p string) (string, error) {
	return "", fmt.Errorf("file access refused: no file system for %q", p)
}

// CallFunction runs a function of the library with the given inputs.
func (c *Context) CallFunction(fn *tfpb.NameAttrList, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if c.env == nil {
		return nil, c.Errorf("no function library")
	}
	return c.env.CallFunction(c.ctx, fn, inputs)
}

// Limits returns the limits in force.
func (c *Context) Limits() Limits {
	if c.env == nil {
		return Limits{}
	}
	return c.env.Limits()
}

// Errorf returns an error wrapping ErrInvalidArgument. The runtime adds the
// node and op names.
func (c *Context) Errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}

// CheckElements returns an error wrapping ErrLimit when a tensor of the
// given shape would exceed the element or byte limits.
func (c *Context) CheckElements(dtype tensor.DType, shape []int) error {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return c.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > (1<<62)/int64(d) {
			return fmt.Errorf("%w: shape %v is too large", ErrLimit, shape)
		}
		n *= int64(d)
	}
	l := c.Limits()
	if l.MaxElements > 0 && n > l.MaxElements {
		return fmt.Errorf("%w: shape %v has %d elements, over the limit of %d (MaxElements)", ErrLimit, shape, n, l.MaxElements)
	}
	size := int64(dtype.Size())
	if size == 0 {
		size = 16
	}
	if l.MaxTensorBytes > 0 && n*size > l.MaxTensorBytes {
		return fmt.Errorf("%w: a %v tensor of shape %v needs %d bytes, over the limit of %d (MaxTensorBytes)", ErrLimit, dtype, shape, n*size, l.MaxTensorBytes)
	}
	return nil
}

// Allocate returns a zero tensor of the given type and shape after checking
// the limits.
func (c *Context) Allocate(dtype tensor.DType, shape ...int) (*tensor.Tensor, error) {
	if err := c.CheckElements(dtype, shape); err != nil {
		return nil, err
	}
	if dtype == tensor.Float32 {
		n, err := tensor.NumElements(shape)
		if err != nil {
			return nil, err
		}
		return tensor.FromSlice(Make[float32](c.ctx, n), shape...)
	}
	return tensor.Zeros(dtype, shape...)
}
