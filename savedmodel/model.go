package savedmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/savedmodel/bundle"
	"github.com/tfhub-go/tfhub/tensor"
)

// InitOpSignatureKey is the signature that TF2 SavedModels use to name
// their initialization op.
const InitOpSignatureKey = "__saved_model_init_op"

// Model is a loaded SavedModel: one MetaGraph, its variables restored and
// its init ops run, ready to call through its signatures. A Model is safe
// for concurrent use; its variables are shared by every call.
type Model struct {
	// Dir is the model directory.
	Dir string
	// Tags are the tags of the loaded MetaGraph.
	Tags []string
	// MetaGraph is the loaded MetaGraph.
	MetaGraph *tfpb.MetaGraphDef
	// HubModule reports a TF1 Hub module (tfhub_module.pb present).
	HubModule bool

	session    *runtime.Session
	signatures map[string]*Signature
	assetFeeds map[string]*tensor.Tensor
}

type options struct {
	tags        []string
	tagsSet     bool
	writeDir    string
	limits      kernels.Limits
	maxProto    int64
	maxNodes    int
	resources   *kernels.Resources
	skipRestore bool
	noOptimizer bool
}

// Option configures Load.
type Option func(*options)

// WithTags selects the MetaGraph whose tag set equals tags exactly (in any
// order). Without it, Load takes the only MetaGraph, else the one tagged
// "serve", else the untagged one (TF1 Hub modules).
func WithTags(tags ...string) Option {
	return func(o *options) { o.tags, o.tagsSet = tags, true }
}

// AllowWrites lets the model's ops (SaveV2, WriteFile...) write files inside
// dir. By default a model may read its own directory only.
func AllowWrites(dir string) Option { return func(o *options) { o.writeDir = dir } }

// WithLimits sets the tensor limits of calls.
func WithLimits(l kernels.Limits) Option { return func(o *options) { o.limits = l } }

// WithoutOptimizer runs the graph as saved, without the runtime's
// load-time optimizer (constant folding and fused convolutions and
// matrix products; see runtime.Options.DisableOptimizer). The optimizer
// gives the same outputs up to float rounding; turning it off helps to
// compare or to debug.
func WithoutOptimizer() Option { return func(o *options) { o.noOptimizer = true } }

// WithMaxProtoBytes bounds the size of saved_model.pb.
func WithMaxProtoBytes(n int64) Option { return func(o *options) { o.maxProto = n } }

// WithMaxNodes bounds the node count of the graph and its functions.
func WithMaxNodes(n int) Option { return func(o *options) { o.maxNodes = n } }

// DefaultLimits are the tensor limits used unless WithLimits is given:
// 4 GiB per tensor, 1<<30 elements for shape-creating ops and 16 GiB of
// tensors alive at once in a call.
var DefaultLimits = kernels.Limits{MaxTensorBytes: 4 << 30, MaxElements: 1 << 30, MaxLiveBytes: 16 << 30}

// DefaultMaxNodes bounds the node count of a graph and its library.
const DefaultMaxNodes = 5_000_000

func tagKey(tags []string) string {
	t := append([]string(nil), tags...)
	sort.Strings(t)
	return strings.Join(t, ",")
}

// SelectMetaGraph picks the MetaGraph for tags as Load does.
func SelectMetaGraph(sm *tfpb.SavedModel, tags []string, tagsSet bool) (*tfpb.MetaGraphDef, error) {
	mgs := sm.GetMetaGraphs()
	var avail []string
	for _, mg := range mgs {
		avail = append(avail, "{"+tagKey(mg.GetMetaInfoDef().GetTags())+"}")
	}
	if tagsSet {
		want := tagKey(tags)
		for _, mg := range mgs {
			if tagKey(mg.GetMetaInfoDef().GetTags()) == want {
				return mg, nil
			}
		}
		return nil, fmt.Errorf("%w {%s}; available tag sets: %s", ErrNoMetaGraph, want, strings.Join(avail, " "))
	}
	if len(mgs) == 1 {
		return mgs[0], nil
	}
	for _, want := range []string{"serve", ""} {
		for _, mg := range mgs {
			if tagKey(mg.GetMetaInfoDef().GetTags()) == want {
				return mg, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: several MetaGraphs and none tagged {serve} or untagged; pick one with WithTags; available: %s", ErrNoMetaGraph, strings.Join(avail, " "))
}

// Load reads the SavedModel in dir, restores its variables, runs its init
// ops and returns it ready to call.
func Load(ctx context.Context, dir string, opts ...Option) (*Model, error) {
	o := options{limits: DefaultLimits, maxNodes: DefaultMaxNodes}
	for _, f := range opts {
		f(&o)
	}
	sm, err := ReadSavedModel(dir, o.maxProto)
	if err != nil {
		return nil, err
	}
	mg, err := SelectMetaGraph(sm, o.tags, o.tagsSet)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return loadMetaGraph(ctx, dir, mg, o)
}

func countNodes(g *tfpb.GraphDef) int {
	n := len(g.GetNode())
	for _, f := range g.GetLibrary().GetFunction() {
		n += len(f.GetNodeDef())
	}
	return n
}

func loadMetaGraph(ctx context.Context, dir string, mg *tfpb.MetaGraphDef, o options) (*Model, error) {
	if n := countNodes(mg.GetGraphDef()); o.maxNodes > 0 && n > o.maxNodes {
		return nil, fmt.Errorf("%w: the graph has %d nodes, over the limit of %d (MaxNodes)", ErrTooLarge, n, o.maxNodes)
	}
	fs, err := newConfinedFS(dir, o.writeDir)
	if err != nil {
		return nil, fmt.Errorf("savedmodel: %w", err)
	}
	sess, err := runtime.NewSession(mg.GetGraphDef(), runtime.Options{Resources: o.resources, FS: fs, Limits: o.limits, DisableOptimizer: o.noOptimizer})
	if err != nil {
		return nil, fmt.Errorf("savedmodel: loading %s: %w", dir, err)
	}
	m := &Model{Dir: dir, Tags: mg.GetMetaInfoDef().GetTags(), MetaGraph: mg, session: sess}
	if _, err := os.Stat(filepath.Join(dir, "tfhub_module.pb")); err == nil {
		m.HubModule = true
	}
	m.assetFeeds, err = assetFeeds(dir, mg)
	if err != nil {
		return nil, err
	}
	if !o.skipRestore {
		if err := m.restore(ctx); err != nil {
			return nil, fmt.Errorf("savedmodel: restoring variables of %s: %w", dir, err)
		}
	}
	if err := m.runInit(ctx); err != nil {
		return nil, fmt.Errorf("savedmodel: init op of %s: %w", dir, err)
	}
	m.signatures = map[string]*Signature{}
	for name, sd := range mg.GetSignatureDef() {
		if name == InitOpSignatureKey {
			continue
		}
		sig, err := newSignature(m, name, sd)
		if err != nil {
			return nil, err
		}
		m.signatures[name] = sig
	}
	return m, nil
}

// assetFeeds maps asset tensors to the absolute paths of their files.
func assetFeeds(dir string, mg *tfpb.MetaGraphDef) (map[string]*tensor.Tensor, error) {
	feeds := map[string]*tensor.Tensor{}
	add := func(a *tfpb.AssetFileDef) error {
		fn := a.GetFilename()
		if fn == "" || filepath.IsAbs(fn) || strings.Contains(filepath.ToSlash(fn), "..") {
			return fmt.Errorf("%w: asset filename %q", ErrCorrupt, fn)
		}
		feeds[a.GetTensorInfo().GetName()] = tensor.Scalar(filepath.Join(dir, "assets", fn))
		return nil
	}
	for _, a := range mg.GetAssetFileDef() {
		if err := add(a); err != nil {
			return nil, err
		}
	}
	if c, ok := mg.GetCollectionDef()["saved_model_assets"]; ok {
		for _, any := range c.GetAnyList().GetValue() {
			a := &tfpb.AssetFileDef{}
			if err := any.UnmarshalTo(a); err != nil {
				return nil, fmt.Errorf("%w: asset collection: %v", ErrCorrupt, err)
			}
			if err := add(a); err != nil {
				return nil, err
			}
		}
	}
	return feeds, nil
}

func (m *Model) withAssets(feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	if len(m.assetFeeds) == 0 {
		return feeds
	}
	out := make(map[string]*tensor.Tensor, len(feeds)+len(m.assetFeeds))
	for k, v := range m.assetFeeds {
		if _, ok := m.session.Graph().Node(strings.Split(k, ":")[0]); ok {
			out[k] = v
		}
	}
	for k, v := range feeds {
		out[k] = v
	}
	return out
}

// VariablesPrefix returns the bundle prefix of the model's variables.
func (m *Model) VariablesPrefix() string { return filepath.Join(m.Dir, "variables", "variables") }

func (m *Model) restore(ctx context.Context) error {
	prefix := m.VariablesPrefix()
	if _, err := os.Stat(prefix + ".index"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // no variables
		}
		return err
	}
	sd := m.MetaGraph.GetSaverDef()
	if sd.GetRestoreOpName() != "" && sd.GetFilenameTensorName() != "" {
		feeds := m.withAssets(map[string]*tensor.Tensor{sd.GetFilenameTensorName(): tensor.Scalar(prefix)})
		_, err := m.session.Run(ctx, feeds, nil, []string{sd.GetRestoreOpName()})
		return err
	}
	return m.restoreByName(prefix)
}

// restoreByName assigns bundle entries to the graph's variables by name,
// for TF1 Hub modules, which carry no SaverDef.
func (m *Model) restoreByName(prefix string) error {
	r, err := bundle.Open(prefix)
	if err != nil {
		return err
	}
	defer r.Close()
	res := m.session.Resources()
	for _, nd := range m.MetaGraph.GetGraphDef().GetNode() {
		switch nd.GetOp() {
		case "VarHandleOp", "VariableV2", "Variable":
		default:
			continue
		}
		name := string(nd.GetAttr()["shared_name"].GetS())
		if name == "" {
			name = nd.GetName()
		}
		key := name
		if _, ok := r.Entry(key); !ok {
			if _, ok := r.Entry(nd.GetName()); !ok {
				continue
			}
			key = nd.GetName()
		}
		t, err := r.Read(key)
		if err != nil {
			return err
		}
		container := string(nd.GetAttr()["container"].GetS())
		dt := tensor.DType(nd.GetAttr()["dtype"].GetType())
		dims, unknown := tfpb.ShapeFromProto(nd.GetAttr()["shape"].GetShape())
		if unknown {
			dims = nil
		}
		v, err := res.LookupOrCreate(kernels.ResourceKey(container, name), func() (any, error) {
			return kernels.NewVariable(name, dt, dims), nil
		})
		if err != nil {
			return err
		}
		vv, ok := v.(*kernels.Variable)
		if !ok {
			return fmt.Errorf("resource %s is not a variable", name)
		}
		if err := vv.Assign(t); err != nil {
			return err
		}
	}
	return nil
}

// initOps returns the model's init op names: the TF2 init signature, the
// main op or legacy init op collections, and table initializers.
func (m *Model) initOps() []string {
	var ops []string
	if sd, ok := m.MetaGraph.GetSignatureDef()[InitOpSignatureKey]; ok {
		for _, ti := range sd.GetOutputs() {
			ops = append(ops, strings.Split(ti.GetName(), ":")[0])
		}
	}
	cols := m.MetaGraph.GetCollectionDef()
	main := cols["saved_model_main_op"]
	if main == nil {
		main = cols["legacy_init_op"]
	}
	if main != nil {
		ops = append(ops, main.GetNodeList().GetValue()...)
	}
	if len(ops) == 0 && m.HubModule {
		if ti, ok := cols["table_initializer"]; ok {
			ops = append(ops, ti.GetNodeList().GetValue()...)
		}
	}
	for i, op := range ops {
		ops[i] = strings.TrimPrefix(strings.Split(op, ":")[0], "^")
	}
	return ops
}

func (m *Model) runInit(ctx context.Context) error {
	ops := m.initOps()
	if len(ops) == 0 {
		return nil
	}
	_, err := m.session.Run(ctx, m.withAssets(nil), nil, ops)
	return err
}

// Session returns the runtime session of the model.
func (m *Model) Session() *runtime.Session { return m.session }

// Signature returns the named signature, or nil.
func (m *Model) Signature(name string) *Signature { return m.signatures[name] }

// SignatureNames returns the signature names, sorted.
func (m *Model) SignatureNames() []string {
	var n []string
	for k := range m.signatures {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Variables returns the model's variables.
func (m *Model) Variables() []*kernels.Variable { return m.session.Resources().Variables() }

// Run runs the model's graph directly, feeding and fetching tensors by
// name; asset paths are fed automatically.
func (m *Model) Run(ctx context.Context, feeds map[string]*tensor.Tensor, fetches, targets []string) ([]*tensor.Tensor, error) {
	return m.session.Run(ctx, m.withAssets(feeds), fetches, targets)
}
