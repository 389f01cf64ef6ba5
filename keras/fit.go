package keras

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tfhub-go/tfhub/tensor"
)

// FitOption configures Fit, Evaluate and Predict (each reads the options
// that apply to it).
type FitOption func(*fitConfig)

type fitConfig struct {
	epochs     int
	batchSize  int
	valSplit   float64
	valX, valY *tensor.Tensor
	shuffle    bool
	seed       *uint64
	callbacks  []Callback
	verbose    int // -1 auto
	out        io.Writer
	initEpoch  int
}

func fitCfg(opts []FitOption, batch int) fitConfig {
	c := fitConfig{epochs: 1, batchSize: batch, shuffle: true, verbose: -1, out: os.Stdout}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// Epochs sets the number of passes over the training data (default 1).
func Epochs(n int) FitOption { return func(c *fitConfig) { c.epochs = n } }

// BatchSize sets the batch size (default 32).
func BatchSize(n int) FitOption { return func(c *fitConfig) { c.batchSize = n } }

// ValidationSplit holds out the last fraction of the training data (before
// shuffling, as Keras does) and evaluates on it after each epoch.
func ValidationSplit(f float64) FitOption { return func(c *fitConfig) { c.valSplit = f } }

// ValidationData evaluates on x, y after each epoch.
func ValidationData(x, y *tensor.Tensor) FitOption {
	return func(c *fitConfig) { c.valX, c.valY = x, y }
}

// Shuffle turns the shuffling of the training data before each epoch on
// (default) or off.
func Shuffle(on bool) FitOption { return func(c *fitConfig) { c.shuffle = on } }

// Seed seeds the shuffling (default: the model's random generator).
func Seed(seed uint64) FitOption { return func(c *fitConfig) { c.seed = &seed } }

// Callbacks adds callbacks (see Callback, EarlyStopping).
func Callbacks(cbs ...Callback) FitOption {
	return func(c *fitConfig) { c.callbacks = append(c.callbacks, cbs...) }
}

// Verbose sets how Fit reports progress: 0 silent, 1 a progress bar per
// epoch, 2 one line per epoch. By default it is 1 on a terminal and 2
// otherwise.
func Verbose(level int) FitOption { return func(c *fitConfig) { c.verbose = level } }

// Output sets where progress goes (default os.Stdout).
func Output(w io.Writer) FitOption { return func(c *fitConfig) { c.out = w } }

// InitialEpoch starts counting epochs at n (to resume training).
func InitialEpoch(n int) FitOption { return func(c *fitConfig) { c.initEpoch = n } }

// Logs holds the values reported for an epoch or a batch, by name ("loss",
// "acc", "val_loss"...).
type Logs map[string]float64

// Fit trains the model on x (examples along the first dim, cast to the
// input's dtype) and labels y for a number of epochs, reporting progress
// like Keras, and returns the history of the epochs' losses and metrics.
func (m *Functional) Fit(ctx context.Context, x, y *tensor.Tensor, opts ...FitOption) (*History, error) {
	if m.err != nil {
		return nil, m.err
	}
	if !m.compiled {
		return nil, ErrNotCompiled
	}
	c := fitCfg(opts, 32)
	if c.epochs < 0 || c.batchSize <= 0 || c.valSplit < 0 || c.valSplit >= 1 {
		return nil, fmt.Errorf("%w: epochs %d, batch size %d, validation split %v", ErrInvalid, c.epochs, c.batchSize, c.valSplit)
	}
	x, err := m.checkX(x)
	if err != nil {
		return nil, err
	}
	if y, err = m.checkY(x, y); err != nil {
		return nil, err
	}
	n := x.Dim(0)
	valX, valY := c.valX, c.valY
	trainIdx := span(0, n)
	if c.valSplit > 0 && valX == nil {
		split := int(float64(n) * (1 - c.valSplit))
		if split <= 0 || split >= n {
			return nil, fmt.Errorf("%w: validation split %v of %d examples leaves an empty set", ErrInvalid, c.valSplit, n)
		}
		if valX, err = gatherRows(x, span(split, n)); err != nil {
			return nil, err
		}
		if valY, err = gatherRows(y, span(split, n)); err != nil {
			return nil, err
		}
		trainIdx = span(0, split)
	}
	if valX != nil {
		if valX, err = m.checkX(valX); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		if valY, err = m.checkY(valX, valY); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
	}
	if len(trainIdx) == 0 {
		return nil, fmt.Errorf("%w: no training data", ErrInvalid)
	}
	if _, err := m.session(); err != nil {
		return nil, err
	}
	r := m.rng
	if c.seed != nil {
		r = newRNG(*c.seed)
	}
	steps := (len(trainIdx) + c.batchSize - 1) / c.batchSize
	prog := newProgress(c.out, c.verbose)
	hist := newHistory(c.epochs, steps, prog.verbose)
	names := m.MetricNames()
	m.stop = false
	for _, cb := range c.callbacks {
		if err := cb.OnTrainBegin(m); err != nil {
			return hist, err
		}
	}
	var last Logs
	var bufs [3][2]batchBuffers
	for epoch := c.initEpoch; epoch < c.initEpoch+c.epochs && !m.stop; epoch++ {
		for _, cb := range c.callbacks {
			if err := cb.OnEpochBegin(m, epoch); err != nil {
				return hist, err
			}
		}
		prog.epochBegin(epoch, c.initEpoch+c.epochs, steps)
		start := time.Now()
		order := trainIdx
		if c.shuffle {
			perm := r.Perm(len(trainIdx))
			order = make([]int, len(perm))
			for i, p := range perm {
				order[i] = trainIdx[p]
			}
		}
		sums := make([]float64, len(names))
		seen := 0
		batches, stop := prefetchBatches(x, y, order, c.batchSize, steps, &bufs)
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				stop()
				return hist, err
			}
			b := <-batches
			if b.err != nil {
				stop()
				return hist, b.err
			}
			vals, err := m.trainBatch(ctx, b.x, b.y)
			if err != nil {
				stop()
				return hist, err
			}
			n := b.x.Dim(0)
			seen += n
			logs := Logs{}
			for i, v := range vals {
				sums[i] += v * float64(n)
				logs[names[i]] = sums[i] / float64(seen)
			}
			prog.batch(s+1, logs, names)
			for _, cb := range c.callbacks {
				if err := cb.OnBatchEnd(m, s, logs); err != nil {
					stop()
					return hist, err
				}
			}
		}
		stop()
		logs := Logs{}
		for i, n := range names {
			logs[n] = sums[i] / float64(seen)
		}
		keys := append([]string(nil), names...)
		if valX != nil {
			vl, err := m.evaluate(ctx, valX, valY, c.batchSize)
			if err != nil {
				return hist, err
			}
			for _, n := range names {
				logs["val_"+n] = vl[n]
				keys = append(keys, "val_"+n)
			}
		}
		hist.add(epoch, logs, keys)
		prog.epochEnd(logs, keys, time.Since(start), steps)
		for _, cb := range c.callbacks {
			if err := cb.OnEpochEnd(m, epoch, logs); err != nil {
				return hist, err
			}
		}
		last = logs
	}
	for _, cb := range c.callbacks {
		if err := cb.OnTrainEnd(m, last); err != nil {
			return hist, err
		}
	}
	return hist, nil
}

// trainBatch runs one training step on a batch and returns the loss and
// metrics of the batch (before the update).
func (m *Functional) trainBatch(ctx context.Context, xb, yb *tensor.Tensor) ([]float64, error) {
	out, err := m.runSession(ctx, map[string]*tensor.Tensor{m.run.x: xb, m.run.y: yb}, m.run.trainFetch, []string{m.run.train})
	if err != nil {
		return nil, fmt.Errorf("keras: training step: %w", err)
	}
	return scalars(out)
}

func scalars(ts []*tensor.Tensor) ([]float64, error) {
	out := make([]float64, len(ts))
	for i, t := range ts {
		v, err := tensor.AsFloat64s(t)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("keras: metric %d is not a scalar: %v", i, t)
		}
		out[i] = v[0]
	}
	return out, nil
}

// Evaluate returns the loss and metrics of the model on x, y (means over
// the examples), as model.evaluate(x, y, return_dict=True).
func (m *Functional) Evaluate(ctx context.Context, x, y *tensor.Tensor, opts ...FitOption) (Logs, error) {
	if m.err != nil {
		return nil, m.err
	}
	if !m.compiled {
		return nil, ErrNotCompiled
	}
	c := fitCfg(opts, 32)
	if c.batchSize <= 0 {
		return nil, fmt.Errorf("%w: batch size %d", ErrInvalid, c.batchSize)
	}
	x, err := m.checkX(x)
	if err != nil {
		return nil, err
	}
	if y, err = m.checkY(x, y); err != nil {
		return nil, err
	}
	return m.evaluate(ctx, x, y, c.batchSize)
}

func (m *Functional) evaluate(ctx context.Context, x, y *tensor.Tensor, batch int) (Logs, error) {
	if _, err := m.session(); err != nil {
		return nil, err
	}
	names := m.MetricNames()
	n := x.Dim(0)
	if n == 0 {
		return nil, fmt.Errorf("%w: no evaluation data", ErrInvalid)
	}
	sums := make([]float64, len(names))
	for lo := 0; lo < n; lo += batch {
		idx := span(lo, min(lo+batch, n))
		xb, err := gatherRows(x, idx)
		if err != nil {
			return nil, err
		}
		yb, err := gatherRows(y, idx)
		if err != nil {
			return nil, err
		}
		out, err := m.runSession(ctx, map[string]*tensor.Tensor{m.run.x: xb, m.run.y: yb}, m.run.evalFetch, nil)
		if err != nil {
			return nil, fmt.Errorf("keras: evaluating: %w", err)
		}
		vals, err := scalars(out)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			sums[i] += v * float64(len(idx))
		}
	}
	logs := Logs{}
	for i, nm := range names {
		logs[nm] = sums[i] / float64(n)
	}
	return logs, nil
}

// Predict runs the model in inference mode on x (examples along the first
// dim, cast to the input's dtype), batch by batch (BatchSize, default 32), and
// returns the outputs joined along the first dim.
func (m *Functional) Predict(ctx context.Context, x *tensor.Tensor, opts ...FitOption) (*tensor.Tensor, error) {
	if m.err != nil {
		return nil, m.err
	}
	c := fitCfg(opts, 32)
	if c.batchSize <= 0 {
		return nil, fmt.Errorf("%w: batch size %d", ErrInvalid, c.batchSize)
	}
	x, err := m.checkX(x)
	if err != nil {
		return nil, err
	}
	if _, err := m.session(); err != nil {
		return nil, err
	}
	n := x.Dim(0)
	if n == 0 {
		return nil, fmt.Errorf("%w: no input data", ErrInvalid)
	}
	var parts []*tensor.Tensor
	for lo := 0; lo < n; lo += c.batchSize {
		var xb *tensor.Tensor
		if lo == 0 && c.batchSize >= n {
			xb = x
		} else if xb, err = gatherRows(x, span(lo, min(lo+c.batchSize, n))); err != nil {
			return nil, err
		}
		out, err := m.runSession(ctx, map[string]*tensor.Tensor{m.run.x: xb}, []string{m.run.pred}, nil)
		if err != nil {
			return nil, fmt.Errorf("keras: predicting: %w", err)
		}
		parts = append(parts, out[0])
	}
	return concatRows(parts)
}
