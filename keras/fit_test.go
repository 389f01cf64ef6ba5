package keras

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tfhub-go/tfhub/tensor"
)

func smallClassifier() *Functional {
	in := Input([]int{2}, tensor.Float32)
	h := Dense(8, WithActivation("relu")).Apply(in)
	return Model(in, Dense(2, WithActivation("softmax")).Apply(h))
}

// blobs: class 1 when x0 + x1 > 0.
func blobs(n int) (*tensor.Tensor, *tensor.Tensor) {
	x := make([]float32, 2*n)
	y := make([]int32, n)
	for i := 0; i < n; i++ {
		a := float32(math.Sin(float64(i)*1.3)) * 2
		b := float32(math.Cos(float64(i)*0.7)) * 2
		x[2*i], x[2*i+1] = a, b
		if a+b > 0 {
			y[i] = 1
		}
	}
	return tensor.New(x, n, 2), tensor.New(y, n)
}

func TestFitReportsAndLearns(t *testing.T) {
	ctx := context.Background()
	SetRandomSeed(41)
	m := smallClassifier()
	if err := m.Compile(SparseCategoricalCrossentropy(), Adam(LearningRate(0.05)), Metrics("acc")); err != nil {
		t.Fatal(err)
	}
	x, y := blobs(200)
	vx, vy := blobs(50)
	var out bytes.Buffer
	var epochs, batches int
	cb := CallbackFuncs{
		EpochEnd: func(_ *Functional, _ int, logs Logs) error { epochs++; return nil },
		BatchEnd: func(*Functional, int, Logs) error { batches++; return nil },
	}
	hist, err := m.Fit(ctx, x, y, Epochs(5), BatchSize(20), ValidationData(vx, vy), Output(&out), Verbose(2), Callbacks(cb))
	if err != nil {
		t.Fatal(err)
	}
	if epochs != 5 || batches != 50 {
		t.Errorf("callbacks saw %d epochs, %d batches", epochs, batches)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("verbose 2 printed %d lines:\n%s", len(lines), out.String())
	}
	re := regexp.MustCompile(`^Epoch 3/5 - 10/10 - \S+ - \S+/step - loss: \d\.\d{4} - acc: \d\.\d{4} - val_loss: \d\.\d{4} - val_acc: \d\.\d{4}$`)
	if !re.MatchString(lines[2]) {
		t.Errorf("epoch line %q", lines[2])
	}
	if got := hist.Keys; strings.Join(got, ",") != "loss,acc,val_loss,val_acc" {
		t.Errorf("history keys %v", got)
	}
	loss := hist.History["loss"]
	if !(loss[4] < loss[0]) {
		t.Errorf("loss did not fall: %v", loss)
	}
	if acc, _ := hist.Last("val_acc"); acc < 0.85 {
		t.Errorf("val_acc %v", acc)
	}
	ev, err := m.Evaluate(ctx, vx, vy)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := hist.Last("val_loss"); math.Abs(ev["loss"]-v) > 1e-6 {
		t.Errorf("Evaluate loss %v, last val_loss %v", ev["loss"], v)
	}

	// Verbose 1 draws a bar.
	out.Reset()
	if _, err := m.Fit(ctx, x, y, Epochs(1), BatchSize(20), Output(&out), Verbose(1)); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Epoch 1/1") || !strings.Contains(s, "10/10") || !strings.Contains(s, "loss: ") {
		t.Errorf("progress bar output %q", s)
	}
	out.Reset()
	if _, err := m.Fit(ctx, x, y, Verbose(0), Output(&out)); err != nil || out.Len() != 0 {
		t.Errorf("verbose 0 printed %q (%v)", out.String(), err)
	}
}

func TestFitDeterministicWithSeed(t *testing.T) {
	ctx := context.Background()
	x, y := blobs(64)
	run := func() []float64 {
		SetRandomSeed(42)
		m := smallClassifier()
		if err := m.Compile(SparseCategoricalCrossentropy(), SGD(LearningRate(0.1))); err != nil {
			t.Fatal(err)
		}
		h, err := m.Fit(ctx, x, y, Epochs(3), BatchSize(8), Seed(5), Output(io.Discard))
		if err != nil {
			t.Fatal(err)
		}
		return h.History["loss"]
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seeds, different losses: %v %v", a, b)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	ctx := context.Background()
	SetRandomSeed(43)
	m := smallClassifier()
	// A learning rate of zero: nothing improves, so training stops after
	// patience epochs.
	if err := m.Compile(SparseCategoricalCrossentropy(), SGD(LearningRate(0)), Metrics("acc")); err != nil {
		t.Fatal(err)
	}
	x, y := blobs(40)
	es := EarlyStopping("val_loss", 2, RestoreBestWeights())
	hist, err := m.Fit(ctx, x, y, Epochs(20), ValidationSplit(0.25), Callbacks(es), Output(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(hist.Epoch); n != 3 {
		t.Errorf("ran %d epochs, want 3 (1 + patience 2)", n)
	}
	if StoppedEpoch(es) != 2 {
		t.Errorf("stopped at %d", StoppedEpoch(es))
	}
	// Monitoring a value Fit does not report is an error.
	if _, err := m.Fit(ctx, x, y, Callbacks(EarlyStopping("val_auc", 1)), Output(io.Discard)); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown monitor: %v", err)
	}
	// A callback's error stops Fit.
	boom := errors.New("boom")
	_, err = m.Fit(ctx, x, y, Epochs(3), Output(io.Discard), Callbacks(CallbackFuncs{EpochBegin: func(*Functional, int) error { return boom }}))
	if !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
	// Max mode with an improving metric keeps going.
	m2 := smallClassifier()
	m2.Compile(SparseCategoricalCrossentropy(), Adam(LearningRate(0.05)), Metrics("acc"))
	h2, err := m2.Fit(ctx, x, y, Epochs(4), Callbacks(EarlyStopping("loss", 0, Mode("min"), MinDelta(0))), Output(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if len(h2.Epoch) != 4 {
		t.Errorf("improving run stopped after %d epochs", len(h2.Epoch))
	}
}

func TestFitErrors(t *testing.T) {
	ctx := context.Background()
	m := smallClassifier()
	m.Compile(SparseCategoricalCrossentropy(), SGD())
	x, y := blobs(10)
	cases := map[string][]any{
		"label count":      {x, tensor.New(make([]int32, 9), 9)},
		"bad x shape":      {tensor.New(make([]float32, 30), 10, 3), y},
		"bad x rank":       {tensor.New(make([]float32, 20), 20), y},
		"nil x":            {(*tensor.Tensor)(nil), y},
		"string labels":    {x, tensor.New(make([]string, 10), 10)},
		"negative batch":   {x, y, BatchSize(-1)},
		"validation split": {x, y, ValidationSplit(1)},
		"empty training":   {x, y, ValidationSplit(0.01), BatchSize(1)},
	}
	for name, args := range cases {
		opts := []FitOption{Output(io.Discard)}
		for _, a := range args[2:] {
			opts = append(opts, a.(FitOption))
		}
		_, err := m.Fit(ctx, args[0].(*tensor.Tensor), args[1].(*tensor.Tensor), opts...)
		if name == "empty training" {
			continue // 1% of 10 examples is no example: either way is fine
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Fit(cctx, x, y, Output(io.Discard)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if _, err := m.Evaluate(ctx, x, tensor.New(make([]int32, 3), 3)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Evaluate with wrong labels: %v", err)
	}
	if err := m.Compile(nil, SGD()); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil loss: %v", err)
	}
	if err := m.Compile(MeanSquaredError(), SGD(), Metrics("acc")); !errors.Is(err, ErrInvalid) {
		t.Errorf("acc with mse: %v", err)
	}
	if err := m.Compile(MeanSquaredError(), SGD(), Metrics("mse", "mse")); !errors.Is(err, ErrInvalid) {
		t.Errorf("metric twice: %v", err)
	}
}

func TestHistoryJSONAndPlot(t *testing.T) {
	h := newHistory(3, 10, 2)
	keys := []string{"loss", "acc", "val_loss", "val_acc"}
	h.add(0, Logs{"loss": 0.9, "acc": 0.6, "val_loss": 0.8, "val_acc": 0.65}, keys)
	h.add(1, Logs{"loss": 0.5, "acc": 0.8, "val_loss": 0.55, "val_acc": 0.78}, keys)
	h.add(2, Logs{"loss": 0.3, "acc": 0.9, "val_loss": math.NaN(), "val_acc": 0.85}, keys)
	var buf bytes.Buffer
	if err := h.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Epoch) != 3 || back.History["val_acc"][2] != 0.85 || back.Params.Steps != 10 || strings.Join(back.Keys, ",") != strings.Join(keys, ",") {
		t.Errorf("round trip: %+v", back)
	}
	if v := back.History["val_loss"]; !math.IsNaN(v[2]) || v[1] != 0.55 {
		t.Errorf("val_loss after the round trip: %v", v)
	}
	if _, err := ReadHistory(strings.NewReader(`{"epoch":[0,1],"history":{"loss":[1]}}`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("ragged history: %v", err)
	}
	if _, err := ReadHistory(strings.NewReader(`{`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad JSON: %v", err)
	}

	buf.Reset()
	if err := h.WritePNG(&buf, 0, 0); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 320 {
		t.Errorf("plot size %v", b)
	}
	// Both curves are drawn in each panel.
	var blue, orange int
	for y := 0; y < 320; y++ {
		for x := 0; x < 800; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 == 31 && g>>8 == 119 && b>>8 == 180:
				blue++
			case r>>8 == 255 && g>>8 == 127 && b>>8 == 14:
				orange++
			}
		}
	}
	if blue < 100 || orange < 100 {
		t.Errorf("curves: %d blue and %d orange pixels", blue, orange)
	}
	dir := t.TempDir()
	if err := h.SaveJSON(filepath.Join(dir, "h.json")); err != nil {
		t.Fatal(err)
	}
	if err := h.SavePlot(filepath.Join(dir, "h.png")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "h.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("plot file: %v %v", fi, err)
	}
	// Single epoch, no validation: still a valid plot.
	one := newHistory(1, 1, 0)
	one.add(0, Logs{"loss": 1}, []string{"loss"})
	if err := one.WritePNG(io.Discard, 200, 100); err != nil {
		t.Error(err)
	}
	if err := one.WritePNG(io.Discard, 1<<20, 10); !errors.Is(err, ErrInvalid) {
		t.Errorf("huge plot: %v", err)
	}
}

func FuzzReadHistory(f *testing.F) {
	f.Add([]byte(`{"epoch":[0,1],"history":{"loss":[1,0.5],"val_loss":[1.2,0.7]},"keys":["loss","val_loss"],"params":{"epochs":2,"steps":3}}`))
	f.Add([]byte(`{"epoch":[],"history":{}}`))
	f.Add([]byte(`{"epoch":[0],"history":{"loss":[1e308]},"keys":["loss","acc"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistory(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := h.WritePNG(io.Discard, 120, 80); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := h.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadHistory(&buf); err != nil {
			t.Fatalf("reading back: %v", err)
		}
	})
}

// TestPrefetchBatches checks the batch prefetcher: batches come in order
// with the rows of gatherRows, a batch stays intact while the next two
// are prepared, and stop ends the producer early without blocking.
func TestPrefetchBatches(t *testing.T) {
	n := 103
	xv := make([]float32, n*3)
	for i := range xv {
		xv[i] = float32(i)
	}
	yv := make([]int32, n)
	for i := range yv {
		yv[i] = int32(i)
	}
	x, y := tensor.New(xv, n, 3), tensor.New(yv, n)
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	const size = 10
	steps := (n + size - 1) / size
	var bufs [3][2]batchBuffers
	ch, stop := prefetchBatches(x, y, order, size, steps, &bufs)
	for s := 0; s < steps; s++ {
		b := <-ch
		if b.err != nil {
			t.Fatal(b.err)
		}
		idx := order[s*size : min((s+1)*size, n)]
		wantX, _ := gatherRows(x, idx)
		wantY, _ := gatherRows(y, idx)
		if err := tensor.Diff(b.x, wantX, 0, 0); err != nil {
			t.Fatalf("step %d x: %v", s, err)
		}
		if err := tensor.Diff(b.y, wantY, 0, 0); err != nil {
			t.Fatalf("step %d y: %v", s, err)
		}
		// The producer prepares the next batches meanwhile; this one
		// must stay intact until the next is received.
		time.Sleep(time.Millisecond)
		if err := tensor.Diff(b.x, wantX, 0, 0); err != nil {
			t.Fatalf("step %d's batch changed while later ones were prepared: %v", s, err)
		}
	}
	stop()
	// Stopping before the end returns.
	ch, stop = prefetchBatches(x, y, order, size, steps, &bufs)
	<-ch
	stop()
	stop()
}
