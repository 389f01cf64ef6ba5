package tfhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tfhub-go/tfhub/archive"
	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	_ "github.com/tfhub-go/tfhub/kernels/all" // every kernel
	"github.com/tfhub-go/tfhub/resolve"
	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

// ErrNoSignature reports a module without the requested signature.
var ErrNoSignature = savedmodel.ErrSignatureNotFound

// ErrAmbiguous reports a call that needs a choice the module does not make:
// several inputs for Call, or several outputs and none named "default".
var ErrAmbiguous = errors.New("tfhub: ambiguous call")

// Module is a loaded hub module: a SavedModel (TF2) or a TF1 Hub module
// graph variant, with its variables restored. Calls of one Module share its
// variables and are safe for concurrent use.
type Module struct {
	// Handle is the handle the module was loaded from.
	Handle string
	// Dir is the local directory of the module.
	Dir string

	model     *savedmodel.Model
	trainable bool
}

type options struct {
	resolveOpts []resolve.Option
	client      *resolve.Client
	tags        []string
	tagsSet     bool
	trainable   bool
	smOpts      []savedmodel.Option
}

// Option configures Load and Resolve.
type Option func(*options)

// WithCacheDir sets the cache root (default: $TFHUB_CACHE_DIR, or
// tfhub_modules in the system temp dir).
func WithCacheDir(dir string) Option {
	return func(o *options) { o.resolveOpts = append(o.resolveOpts, resolve.WithCacheDir(dir)) }
}

// WithTags selects the graph variant (TF1 Hub modules) or MetaGraph by its
// exact tag set. By default: the untagged variant of a TF1 Hub module, or
// "serve"; with Trainable(true) and several variants, the one tagged
// "train".
func WithTags(tags ...string) Option {
	return func(o *options) { o.tags, o.tagsSet = tags, true }
}

// Trainable exposes the module's variables for fine-tuning.
func Trainable(on bool) Option { return func(o *options) { o.trainable = on } }

// WithProgress sets how downloads report progress, and where.
func WithProgress(mode resolve.ProgressMode, w io.Writer) Option {
	return func(o *options) { o.resolveOpts = append(o.resolveOpts, resolve.WithProgress(mode, w)) }
}

// WithDownloadLimits bounds what a downloaded archive may unpack to.
func WithDownloadLimits(l archive.Limits) Option {
	return func(o *options) { o.resolveOpts = append(o.resolveOpts, resolve.WithLimits(l)) }
}

// WithResolveOptions passes options to the resolver client (HTTP client,
// offline mode, mirrors, timeouts...).
func WithResolveOptions(opts ...resolve.Option) Option {
	return func(o *options) { o.resolveOpts = append(o.resolveOpts, opts...) }
}

// WithClient uses a configured resolver client (its own options win).
func WithClient(c *resolve.Client) Option { return func(o *options) { o.client = c } }

// AllowWrites lets the module's ops write files inside dir (for example to
// save checkpoints). By default a module may only read its own directory.
func AllowWrites(dir string) Option {
	return func(o *options) { o.smOpts = append(o.smOpts, savedmodel.AllowWrites(dir)) }
}

// WithLimits sets the tensor limits of the module's calls.
func WithLimits(l kernels.Limits) Option {
	return func(o *options) { o.smOpts = append(o.smOpts, savedmodel.WithLimits(l)) }
}

// WithoutOptimizer loads the module without the runtime's load-time
// graph optimizer (see savedmodel.WithoutOptimizer), for comparison and
// debugging; outputs are the same up to float rounding.
func WithoutOptimizer() Option {
	return func(o *options) { o.smOpts = append(o.smOpts, savedmodel.WithoutOptimizer()) }
}

func (o *options) resolver() (*resolve.Client, error) {
	if o.client != nil {
		return o.client, nil
	}
	return resolve.NewClient(o.resolveOpts...)
}

// Resolve downloads and caches the module named by handle if needed, and
// returns its local directory (hub.resolve).
func Resolve(ctx context.Context, handle string, opts ...Option) (string, error) {
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	c, err := o.resolver()
	if err != nil {
		return "", err
	}
	return c.Resolve(ctx, handle)
}

// Load resolves handle (a directory, an archive, a file:// or http(s) URL)
// and loads the module (hub.load).
func Load(ctx context.Context, handle string, opts ...Option) (*Module, error) {
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	c, err := o.resolver()
	if err != nil {
		return nil, err
	}
	dir, err := c.Resolve(ctx, handle)
	if err != nil {
		return nil, err
	}
	smOpts := append([]savedmodel.Option(nil), o.smOpts...)
	if o.tagsSet {
		smOpts = append(smOpts, savedmodel.WithTags(o.tags...))
	} else if tags, ok, err := defaultTags(dir, o.trainable); err != nil {
		return nil, err
	} else if ok {
		smOpts = append(smOpts, savedmodel.WithTags(tags...))
	}
	m, err := savedmodel.Load(ctx, dir, smOpts...)
	if err != nil {
		return nil, fmt.Errorf("tfhub: loading %s: %w", handle, err)
	}
	return &Module{Handle: handle, Dir: dir, model: m, trainable: o.trainable}, nil
}

// defaultTags picks the graph variant when the caller gave no tags: the
// "train" variant for fine-tuning when there are several, the untagged
// variant of a TF1 Hub module, else savedmodel's default.
func defaultTags(dir string, trainable bool) ([]string, bool, error) {
	sm, err := savedmodel.ReadSavedModel(dir, 0)
	if err != nil {
		return nil, false, err
	}
	mgs := sm.GetMetaGraphs()
	if len(mgs) < 2 {
		return nil, false, nil
	}
	has := func(want ...string) bool {
		for _, mg := range mgs {
			if tagSetEqual(mg.GetMetaInfoDef().GetTags(), want) {
				return true
			}
		}
		return false
	}
	if trainable && has("train") {
		return []string{"train"}, true, nil
	}
	if has() {
		return []string{}, true, nil
	}
	return nil, false, nil
}

func tagSetEqual(a, b []string) bool {
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, ",") == strings.Join(y, ",")
}

// Model returns the underlying SavedModel.
func (m *Module) Model() *savedmodel.Model { return m.model }

// Trainable reports whether the module was loaded for fine-tuning.
func (m *Module) Trainable() bool { return m.trainable }

// Signatures returns the module's signatures, sorted by name.
func (m *Module) Signatures() []*savedmodel.Signature {
	var out []*savedmodel.Signature
	for _, n := range m.model.SignatureNames() {
		out = append(out, m.model.Signature(n))
	}
	return out
}

// Signature returns the named signature.
func (m *Module) Signature(name string) (*savedmodel.Signature, error) {
	s := m.model.Signature(name)
	if s == nil {
		return nil, fmt.Errorf("%w: module %s has no signature %q; it has %s", ErrNoSignature, m.Handle, name, strings.Join(m.model.SignatureNames(), ", "))
	}
	return s, nil
}

// DefaultSignature returns the signature Call uses: "default", else the
// only signature, else "serving_default".
func (m *Module) DefaultSignature() (*savedmodel.Signature, error) {
	if s := m.model.Signature("default"); s != nil {
		return s, nil
	}
	names := m.model.SignatureNames()
	if len(names) == 1 {
		return m.model.Signature(names[0]), nil
	}
	if s := m.model.Signature("serving_default"); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: module %s has no \"default\" or \"serving_default\" signature; it has %s", ErrNoSignature, m.Handle, strings.Join(names, ", "))
}

// Call applies the default signature to x, like calling hub.load(handle)
// or a TF1 module with one input. The signature must take one input; its
// output is the only one, or the one named "default".
func (m *Module) Call(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	s, err := m.DefaultSignature()
	if err != nil {
		return nil, err
	}
	if len(s.Inputs) != 1 {
		return nil, fmt.Errorf("%w: signature %q takes %d inputs; use CallSignature with a map: %s", ErrAmbiguous, s.Name, len(s.Inputs), s)
	}
	key := ""
	switch {
	case len(s.Outputs) == 1:
		key = s.Outputs[0].Key
	default:
		if _, ok := s.Output("default"); !ok {
			return nil, fmt.Errorf("%w: signature %q has %d outputs and none named \"default\"; use CallSignature: %s", ErrAmbiguous, s.Name, len(s.Outputs), s)
		}
		key = "default"
	}
	out, err := s.CallOutputs(ctx, map[string]*tensor.Tensor{s.Inputs[0].Key: x}, key)
	if err != nil {
		return nil, err
	}
	return out[key], nil
}

// CallSignature runs the named signature ("" for the default one) and
// returns all its outputs by name (TF's as_dict).
func (m *Module) CallSignature(ctx context.Context, name string, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	var s *savedmodel.Signature
	var err error
	if name == "" {
		s, err = m.DefaultSignature()
	} else {
		s, err = m.Signature(name)
	}
	if err != nil {
		return nil, err
	}
	return s.Call(ctx, inputs)
}

// Variable describes one variable of a module.
type Variable struct {
	Name      string
	DType     tensor.DType
	Shape     []int
	Trainable bool
	v         *kernels.Variable
}

// Value returns the variable's current value.
func (v Variable) Value() (*tensor.Tensor, error) { return v.v.Value() }

// Variables returns every variable of the module, sorted by name.
func (m *Module) Variables() []Variable {
	trainable := m.trainableNames()
	var out []Variable
	for _, v := range m.model.Variables() {
		shape := v.Shape
		if t, err := v.Value(); err == nil {
			shape = t.Shape()
		}
		out = append(out, Variable{Name: v.Name, DType: v.DType, Shape: shape, Trainable: trainable[v.Name], v: v})
	}
	return out
}

// TrainableVariables returns the variables the module marks trainable
// (the TF1 trainable_variables collection, or TF2 SavedVariable.trainable).
// It is empty unless the module was loaded with Trainable(true).
func (m *Module) TrainableVariables() []Variable {
	if !m.trainable {
		return nil
	}
	var out []Variable
	for _, v := range m.Variables() {
		if v.Trainable {
			out = append(out, v)
		}
	}
	return out
}

// trainableNames returns the names of the trainable variables.
func (m *Module) trainableNames() map[string]bool {
	names := map[string]bool{}
	mg := m.model.MetaGraph
	if c, ok := mg.GetCollectionDef()["trainable_variables"]; ok {
		for _, b := range c.GetBytesList().GetValue() {
			vd := &tfpb.VariableDef{}
			if proto.Unmarshal(b, vd) == nil {
				names[opName(vd.GetVariableName())] = true
			}
		}
	}
	// TF2: the object graph marks variables trainable; map them to the
	// graph's variable names through VarHandleOp shared names.
	for _, n := range mg.GetObjectGraphDef().GetNodes() {
		if sv := n.GetVariable(); sv != nil && sv.GetTrainable() {
			names[opName(sv.GetName())] = true
		}
	}
	return names
}

func opName(tensorName string) string {
	if i := strings.LastIndexByte(tensorName, ':'); i >= 0 {
		return tensorName[:i]
	}
	return tensorName
}

// RegularizationLosses returns the names of the tensors the module declares
// as regularization losses (the TF1 REGULARIZATION_LOSSES collection).
func (m *Module) RegularizationLosses() []string {
	c, ok := m.model.MetaGraph.GetCollectionDef()["regularization_losses"]
	if !ok {
		return nil
	}
	return append([]string(nil), c.GetNodeList().GetValue()...)
}
