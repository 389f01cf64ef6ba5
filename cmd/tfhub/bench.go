package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tfhub-go/tfhub"
	"github.com/tfhub-go/tfhub/runtime"
	"github.com/tfhub-go/tfhub/savedmodel"
	"github.com/tfhub-go/tfhub/tensor"
)

func newBenchCmd() *cobra.Command {
	var sigName, tagSet, inputs, exprs string
	var batch, warmup, runs int
	var maxTime time.Duration
	var noOpt, profile bool
	cmd := &cobra.Command{
		Use:   "bench HANDLE [--signature S] [--batch N] [--inputs ...]",
		Short: "Measure a module's latency, throughput and peak memory (like TF's benchmark_model)",
		Example: "  tfhub bench ./mobilenet --batch 1 --runs 50\n" +
			"  tfhub bench ./half_plus_two --signature serving_default --input_exprs 'x=[[1],[2]]'",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			loadStart := time.Now()
			var extra []tfhub.Option
			if noOpt {
				extra = append(extra, tfhub.WithoutOptimizer())
			}
			m, err := loadModule(cmd, args[0], tagSet, extra...)
			if err != nil {
				return err
			}
			loadTime := time.Since(loadStart)
			sig, feeds, err := signatureFeeds(m, sigName, inputs, exprs)
			if err != nil {
				return err
			}
			for _, sp := range sig.Inputs {
				if _, ok := feeds[sp.Key]; ok {
					continue
				}
				t, err := randomInput(sp.Spec, batch)
				if err != nil {
					return fmt.Errorf("input %s: %w (give it with --inputs or --input_exprs)", sp.Key, err)
				}
				feeds[sp.Key] = t
			}
			call := func() error {
				_, err := sig.CallWith(ctx, feeds, savedmodel.CallOptions{RelaxShapes: true})
				return err
			}
			for i := 0; i < warmup; i++ {
				if err := call(); err != nil {
					return err
				}
			}
			sess := m.Model().Session()
			if profile {
				sess.ResetProfile()
				sess.SetProfiling(true)
			}
			var lat []time.Duration
			start := time.Now()
			for i := 0; i < runs && (maxTime == 0 || time.Since(start) < maxTime); i++ {
				t0 := time.Now()
				if err := call(); err != nil {
					return err
				}
				lat = append(lat, time.Since(t0))
			}
			total := time.Since(start)
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "module:      %s (signature %q, batch %d)\n", args[0], sig.Name, batch)
			fmt.Fprintf(w, "load:        %v\n", loadTime.Round(time.Microsecond))
			fmt.Fprintf(w, "runs:        %d after %d warm-up\n", len(lat), warmup)
			fmt.Fprintf(w, "latency:     median %v, p90 %v, min %v, max %v\n", pct(0.5).Round(time.Microsecond), pct(0.9).Round(time.Microsecond), lat[0].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
			fmt.Fprintf(w, "throughput:  %.1f calls/s, %.1f examples/s\n", float64(len(lat))/total.Seconds(), float64(len(lat)*batch)/total.Seconds())
			st := sess.OptimizeStats()
			fmt.Fprintf(w, "optimizer:   %d fused nodes (%d batch norms folded into filters, %d residual adds), %d constants folded\n", st.Fused, st.FoldedBatchNorms, st.FusedAdds, st.Folded)
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				fmt.Fprintf(w, "peak memory: %s (max RSS)\n", humanBytes(ru.Maxrss*1024))
			}
			if profile {
				sess.SetProfiling(false)
				printProfile(w, sess.OpProfile(), len(lat))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&sigName, "signature", "", "signature to run (default: the module's default signature)")
	f.StringVar(&tagSet, "tag_set", "", "comma-separated tags of the MetaGraph to load")
	f.IntVar(&batch, "batch", 1, "size given to unknown (-1) dims of random inputs")
	f.StringVar(&inputs, "inputs", "", "inputs as 'key=file.npy;key2=file.npz[array]' (others are random)")
	f.StringVar(&exprs, "input_exprs", "", "inputs as 'key=[1,2,3]'")
	f.IntVar(&warmup, "warmup", 3, "untimed calls first")
	f.IntVar(&runs, "runs", 50, "timed calls")
	f.DurationVar(&maxTime, "max_time", 0, "stop timing after this long")
	f.BoolVar(&noOpt, "no_optimizer", false, "run the graph as saved, without the load-time optimizer")
	f.BoolVar(&profile, "profile", false, "time the kernels by op type and print the ops that took longest")
	return cmd
}

// randomInput makes a tensor of the spec's dtype and shape, with unknown
// dims set to batch and uniform values in [0, 1) (integers in [0, 10)).
func randomInput(sp tensor.Spec, batch int) (*tensor.Tensor, error) {
	if sp.UnknownRank {
		return nil, fmt.Errorf("unknown rank")
	}
	shape := make([]int, len(sp.Shape))
	for i, d := range sp.Shape {
		if d < 0 {
			d = batch
		}
		shape[i] = d
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	switch {
	case sp.DType.IsFloat():
		v := make([]float32, n)
		for i := range v {
			v[i] = r.Float32()
		}
		t, err := tensor.FromSlice(v, shape...)
		if err != nil {
			return nil, err
		}
		return t.Cast(sp.DType)
	case sp.DType.IsInteger():
		v := make([]int64, n)
		for i := range v {
			v[i] = r.Int64N(10)
		}
		t, err := tensor.FromSlice(v, shape...)
		if err != nil {
			return nil, err
		}
		return t.Cast(sp.DType)
	case sp.DType == tensor.Bool:
		v := make([]bool, n)
		for i := range v {
			v[i] = r.IntN(2) == 1
		}
		return tensor.FromSlice(v, shape...)
	}
	return nil, fmt.Errorf("no random values for %v", sp.DType)
}

// printProfile prints the op types that took longest, per timed call.
func printProfile(w io.Writer, prof []runtime.OpStat, runs int) {
	var total time.Duration
	for _, p := range prof {
		total += p.Total
	}
	if runs == 0 || total == 0 {
		return
	}
	fmt.Fprintf(w, "\nkernel time by op type, per call (%d calls):\n", runs)
	fmt.Fprintf(w, "%-32s %8s %12s %7s\n", "op", "nodes", "time", "share")
	for i, p := range prof {
		if i == 15 {
			fmt.Fprintf(w, "... %d more op types\n", len(prof)-i)
			break
		}
		per := p.Total / time.Duration(runs)
		fmt.Fprintf(w, "%-32s %8.1f %12v %6.1f%%\n", p.Op, float64(p.Calls)/float64(runs), per.Round(time.Microsecond/10), 100*float64(p.Total)/float64(total))
	}
}
