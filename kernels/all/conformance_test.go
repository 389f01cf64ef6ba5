package all

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/tfhub-go/tfhub/internal/tfpb"
	"github.com/tfhub-go/tfhub/kernels"
)

const reference = "../../../shared/reference"

func loadOpList(t *testing.T) map[string]*tfpb.OpDef {
	t.Helper()
	raw, err := os.ReadFile(reference + "/ops.pbtxt")
	if err != nil {
		t.Skipf("TF op registry not available: %v", err)
	}
	var list tfpb.OpList
	if err := (prototext.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &list); err != nil {
		t.Fatalf("parsing ops.pbtxt: %v", err)
	}
	ops := map[string]*tfpb.OpDef{}
	for _, op := range list.GetOp() {
		ops[op.GetName()] = op
	}
	return ops
}

// TestRegistrationsMatchTFOpDefs checks every registered op against
// TensorFlow's op registry: the op exists, our output-arg spec has the same
// names, repeat attrs and list attrs, and our ref inputs are TF's.
func TestRegistrationsMatchTFOpDefs(t *testing.T) {
	ops := loadOpList(t)
	for _, name := range kernels.Ops() {
		d, _ := kernels.Lookup(name)
		op, ok := ops[name]
		if d.Internal {
			if ok || !strings.HasPrefix(name, "_") {
				t.Errorf("%s is marked Internal but is a public TensorFlow op or lacks the _ prefix", name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s is registered but is not a TensorFlow op", name)
			continue
		}
		outs := op.GetOutputArg()
		if len(d.Outputs) == 0 {
			if len(outs) > 1 || (len(outs) == 1 && (outs[0].GetNumberAttr() != "" || outs[0].GetTypeListAttr() != "")) {
				t.Errorf("%s: TF declares outputs %v; the registration needs an Outputs spec", name, argNames(outs))
			}
		} else {
			got := d.OutputArgs()
			if len(got) != len(outs) {
				t.Errorf("%s: Outputs spec has %d args, TF has %d (%v)", name, len(got), len(outs), argNames(outs))
			} else {
				for i, a := range outs {
					g := got[i]
					if g.Name != a.GetName() || g.NumberAttr != a.GetNumberAttr() || g.TypeListAttr != a.GetTypeListAttr() {
						t.Errorf("%s output %d: spec %+v, TF name=%s number_attr=%s type_list_attr=%s", name, i, g, a.GetName(), a.GetNumberAttr(), a.GetTypeListAttr())
					}
				}
			}
		}
		for i, a := range op.GetInputArg() {
			if a.GetIsRef() != d.IsRefInput(i) {
				t.Errorf("%s input %d (%s): is_ref %v in TF, registration says %v", name, i, a.GetName(), a.GetIsRef(), d.IsRefInput(i))
			}
		}
	}
}

func argNames(args []*tfpb.OpDef_ArgDef) []string {
	var n []string
	for _, a := range args {
		n = append(n, a.GetName())
	}
	return n
}

// TestChecklistCoverage reports how many ops of the op checklist have a
// kernel (the goal is all 294; see README.md for the ones still missing).
func TestChecklistCoverage(t *testing.T) {
	raw, err := os.ReadFile(reference + "/op-checklist.md")
	if err != nil {
		t.Skipf("op checklist not available: %v", err)
	}
	var want []string
	line := regexp.MustCompile(`^- \*\*[^*]+\*\* \(\d+\): (.*)$`)
	for _, l := range strings.Split(string(raw), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			want = append(want, strings.Fields(m[1])...)
		}
	}
	if len(want) != 294 {
		t.Fatalf("parsed %d checklist ops, want 294", len(want))
	}
	var missing []string
	for _, op := range want {
		if _, ok := kernels.Lookup(op); !ok {
			missing = append(missing, op)
		}
	}
	sort.Strings(missing)
	t.Logf("checklist coverage: %d/294; missing: %s", 294-len(missing), strings.Join(missing, " "))
}
