package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tfhub-go/tfhub/internal/hostile"
	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

const shared = "../../../shared/testdata"

func needShared(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared testdata not available: %v", err)
	}
}

// cli runs the CLI in-process and returns its stdout.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append(args, "--cache_dir", t.TempDir()))
	err := cmd.Execute()
	return out.String(), err
}

func TestShowEveryTestdataModel(t *testing.T) {
	needShared(t)
	dirs, _ := filepath.Glob(filepath.Join(shared, "savedmodels", "*"))
	dirs = append(dirs, filepath.Join(shared, "hub", "half_plus_two_v1.tar.gz"))
	conv, _ := filepath.Glob(filepath.Join(shared, "converted", "*", "*_variant"))
	dirs = append(dirs, conv...)
	for _, d := range dirs {
		out, err := cli(t, "show", "--dir", d, "--all")
		if err != nil {
			t.Fatalf("show %s: %v", d, err)
		}
		if !strings.Contains(out, "signature_def[") || strings.Contains(out, "without a kernel") {
			t.Errorf("show %s printed:\n%s", d, out)
		}
	}
	out, err := cli(t, "show", "--dir", filepath.Join(shared, "savedmodels", "half_plus_two_tf1"), "--tag_set", "serve", "--signature_def", "serving_default")
	if err != nil || !strings.Contains(out, "inputs['x'] tensor_info") || !strings.Contains(out, "shape: (-1, 1)") {
		t.Fatalf("show signature: %v\n%s", err, out)
	}
}

func TestRunHalfPlusTwoWritesNPY(t *testing.T) {
	needShared(t)
	outdir := t.TempDir()
	_, err := cli(t, "run", "--dir", filepath.Join(shared, "savedmodels", "half_plus_two_tf2"), "--tag_set", "serve",
		"--signature_def", "serving_default", "--input_exprs", "x=[1,2,5]", "--outdir", outdir)
	if err != nil {
		t.Fatal(err)
	}
	y, err := tensor.LoadNPY(filepath.Join(outdir, "y.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tensor.Diff(y, tensor.New([]float32{2.5, 3, 4.5}), 0, 1e-6); err != nil {
		t.Fatal(err)
	}
	// A second run refuses to overwrite without --overwrite.
	if _, err := cli(t, "run", "--dir", filepath.Join(shared, "savedmodels", "half_plus_two_tf2"), "--tag_set", "serve",
		"--signature_def", "serving_default", "--input_exprs", "x=[1]", "--outdir", outdir); err == nil {
		t.Fatal("existing output overwritten without --overwrite")
	}
}

func TestRunConvertedModelsFromNPY(t *testing.T) {
	needShared(t)
	for _, tc := range []struct{ model, in, out, key string }{
		{"gender", "input_1=in_input_1.npy", "out_Identity.npy", "Identity"},
		{"facemesh-detection-short", "input=in_input.npy", "out_objects.npy", "objects"},
	} {
		for _, variant := range []string{"frozen", "variables_variant"} {
			base := filepath.Join(shared, "converted", tc.model)
			k, f, _ := strings.Cut(tc.in, "=")
			outdir := t.TempDir()
			if _, err := cli(t, "run", "--dir", filepath.Join(base, variant), "--tag_set", "serve", "--signature_def", "serving_default",
				"--inputs", k+"="+filepath.Join(base, f), "--outdir", outdir); err != nil {
				t.Fatalf("%s/%s: %v", tc.model, variant, err)
			}
			got, err := tensor.LoadNPY(filepath.Join(outdir, tc.key+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tensor.LoadNPY(filepath.Join(base, tc.out))
			if err := tensor.Diff(got, want, 1e-4, 0.02); err != nil {
				t.Fatalf("%s/%s: %v", tc.model, variant, err)
			}
		}
	}
}

func TestRunNPZInputAndCounter(t *testing.T) {
	needShared(t)
	dir := t.TempDir()
	npz := filepath.Join(dir, "in.npz")
	if err := tensor.SaveNPZ(npz, map[string]*tensor.Tensor{"arr": tensor.New([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8}, 1, 3, 3)}); err != nil {
		t.Fatal(err)
	}
	out, err := cli(t, "run", "--dir", filepath.Join(shared, "savedmodels", "matrix_half_plus_two_tf1"), "--tag_set", "serve",
		"--signature_def", "serving_default", "--inputs", "x="+npz+"[arr]")
	if err != nil || !strings.Contains(out, "Result for output key y") || !strings.Contains(out, "[[[2.  2.5 3. ]") {
		t.Fatalf("run with npz: %v\n%s", err, out)
	}
	if _, err := cli(t, "run", "--dir", filepath.Join(shared, "savedmodels", "matrix_half_plus_two_tf1"), "--signature_def", "serving_default",
		"--inputs", "x="+npz+"[nope]"); err == nil {
		t.Fatal("missing npz array accepted")
	}
}

func TestOpsListsKernelsAndMissing(t *testing.T) {
	needShared(t)
	out, err := cli(t, "ops")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 200 || !strings.Contains(out, "\nConv2D\n") {
		t.Fatalf("tfhub ops listed %d ops", len(lines))
	}
	if _, err := cli(t, "ops", "--missing", filepath.Join(shared, "savedmodels", "half_plus_two_tf2")); err != nil {
		t.Fatalf("ops --missing on a supported model: %v", err)
	}
	// A model with an op we have no kernel for: exit code 2 and the op named.
	bad := t.TempDir()
	writeModelWithOp(t, bad, "NoSuchOpForTest")
	out, err = cli(t, "ops", "--missing", bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(out, "NoSuchOpForTest") {
		t.Fatalf("ops --missing: %v\n%s", err, out)
	}
}

func TestShowSecurityReport(t *testing.T) {
	needShared(t)
	out, err := cli(t, "show", "--security", filepath.Join(shared, "savedmodels", "half_plus_two_tf2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SaveV2", "RestoreV2", "Ops refused by policy:", "nesting depth 2", "Largest constant tensors:"} {
		if !strings.Contains(out, want) {
			t.Errorf("security report lacks %q:\n%s", want, out)
		}
	}
	bad := t.TempDir()
	writeModelWithOp(t, bad, "PyFunc")
	out, err = cli(t, "show", "--security", bad)
	if err != nil || !strings.Contains(out, "PyFunc n (graph): it runs Python code") {
		t.Fatalf("PyFunc not reported: %v\n%s", err, out)
	}
}

func TestRunRefusesHostileModelsAndTimesOut(t *testing.T) {
	outside := t.TempDir()
	for _, style := range hostile.Styles {
		dir := filepath.Join(t.TempDir(), "m")
		if err := hostile.Write(dir, style, hostile.SaveV2(filepath.Join(outside, "pwned"))); err != nil {
			t.Fatal(err)
		}
		_, err := cli(t, "run", "--dir", dir, "--signature_def", "serving_default", "--input_exprs", "x=1")
		if !errors.Is(err, savedmodel.ErrFileAccess) {
			t.Fatalf("%s: got %v, want ErrFileAccess", style, err)
		}
		allowed := t.TempDir()
		dir2 := filepath.Join(t.TempDir(), "m")
		if err := hostile.Write(dir2, style, hostile.SaveV2(filepath.Join(allowed, "ckpt"))); err != nil {
			t.Fatal(err)
		}
		if _, err := cli(t, "run", "--dir", dir2, "--signature_def", "serving_default", "--input_exprs", "x=1", "--allow-writes", allowed); err != nil {
			t.Fatalf("%s with --allow-writes: %v", style, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("hostile models wrote %v", entries)
	}
	dir := filepath.Join(t.TempDir(), "loop")
	if err := hostile.Write(dir, hostile.TF2, hostile.EndlessWhile()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := cli(t, "run", "--dir", dir, "--signature_def", "serving_default", "--input_exprs", "x=1", "--timeout", "1s")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("--timeout 1s: %v after %v", err, time.Since(start))
	}
}

func TestBenchReportsLatency(t *testing.T) {
	needShared(t)
	out, err := cli(t, "bench", filepath.Join(shared, "converted", "gender", "frozen"), "--runs", "3", "--warmup", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"latency:     median", "throughput:", "examples/s", "peak memory:", "optimizer:   "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "optimizer:   0 fused") {
		t.Errorf("the optimizer fused nothing in the gender CNN:\n%s", out)
	}
	// --profile lists the kernels by op type; the CNN's convolutions are
	// fused, and run once per call.
	out, err = cli(t, "bench", filepath.Join(shared, "converted", "gender", "frozen"), "--runs", "3", "--warmup", "1", "--profile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "kernel time by op type, per call (3 calls)") || !strings.Contains(out, "_FusedConv2D") {
		t.Errorf("bench --profile output lacks the op table:\n%s", out)
	}
	out, err = cli(t, "bench", filepath.Join(shared, "converted", "gender", "frozen"), "--runs", "2", "--warmup", "1", "--no_optimizer")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "optimizer:   0 fused nodes (0 batch norms folded into filters, 0 residual adds), 0 constants folded") {
		t.Errorf("--no_optimizer: the optimizer ran:\n%s", out)
	}
}

// TestRunEveryTestdataModel runs one signature of every testdata model
// through `tfhub run` and checks the value TensorFlow gives.
func TestRunEveryTestdataModel(t *testing.T) {
	needShared(t)
	for _, tc := range []struct {
		model, tags, sig, exprs, out string
		want                         float32
	}{
		{"assets_tf1", "serve", "serving_default", "x=[[1]]", "y", 2.5},
		{"counter_tf1", "serve", "incr_counter_by", "delta=3", "output", 3},
		{"half_plus_three_tf1", "serve", "serving_default", "x=[1]", "y", 3.5},
		{"half_plus_two_tf1", "serve", "regress_x2_to_y3", "inputs=[[1]]", "outputs", 3.5},
		{"half_plus_two_tf2", "serve", "classify_x2_to_y3", "inputs=[1]", "scores", 3.5},
		{"matrix_half_plus_two_tf1", "serve", "serving_default", "x=[[[0,1,2],[3,4,5],[6,7,8]]]", "y", 2},
		{"multi_signature_tf2", "serve", "add", "a=1;b=2", "output_0", 3},
		{"regression_tf1", "train,serve", "tensorflow/serving/regress", "x=[1];y=[0]", "out", -0.857862234},
		{"regression_train_tf2", "serve", "w", "", "output", 0.204297543},
	} {
		outdir := t.TempDir()
		if _, err := cli(t, "run", "--dir", filepath.Join(shared, "savedmodels", tc.model), "--tag_set", tc.tags,
			"--signature_def", tc.sig, "--input_exprs", tc.exprs, "--outdir", outdir); err != nil {
			t.Errorf("%s: %v", tc.model, err)
			continue
		}
		got, err := tensor.LoadNPY(filepath.Join(outdir, tc.out+".npy"))
		if err != nil {
			t.Errorf("%s: %v", tc.model, err)
			continue
		}
		if v := got.Float32s()[0]; v != tc.want {
			t.Errorf("%s %s: %s = %v, want %v", tc.model, tc.sig, tc.out, v, tc.want)
		}
	}
}

func TestDoctorOnAHealthyCache(t *testing.T) {
	out, err := cli(t, "doctor")
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	if !strings.Contains(out, "cache root") {
		t.Fatalf("doctor printed no cache-root finding:\n%s", out)
	}
}
