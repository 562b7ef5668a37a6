package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"acecoder/charts"
	"acecoder/eval"
	"acecoder/rundir"
)

func (d *run) close() {
	if d.runner != nil {
		d.runner.Close()
		d.runner = nil
	}
}

// plotsAndCurves draws each training run's curves to <run>/metrics.png
// and reads where the RL runs started and ended.
func (d *run) plotsAndCurves(ctx context.Context) error {
	if err := d.plots(ctx); err != nil {
		return err
	}
	for _, name := range []string{"rl-rule", "rl-rm"} {
		c, err := readCurve(d.path(name), name)
		if err != nil {
			return err
		}
		d.report.Curves = append(d.report.Curves, c)
	}
	return nil
}

// Curve is the start and the end of an RL run (means over its first and
// last curveSpan rollouts): the reward it was trained on, and the rule
// pass rate of the same samples, which the RM-reward run measures without
// training on it, so reward hacking shows as a rising reward with a
// falling pass rate.
type Curve struct {
	Run                     string
	Rollouts                int
	RewardFirst, RewardLast float64 // reward/mean
	PassFirst, PassLast     float64 // reward/pass_rate
}

const curveSpan = 5

func readCurve(dir, name string) (Curve, error) {
	recs, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		return Curve{}, err
	}
	var reward, pass []float64
	for _, r := range recs {
		if v, ok := r["reward/mean"]; ok {
			reward, pass = append(reward, v), append(pass, r["reward/pass_rate"])
		}
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(max(1, len(xs)))
	}
	k := min(curveSpan, len(reward))
	return Curve{Run: name, Rollouts: len(reward), RewardFirst: mean(reward[:k]), RewardLast: mean(reward[len(reward)-k:]),
		PassFirst: mean(pass[:k]), PassLast: mean(pass[len(pass)-k:])}, nil
}

// plots draws each training run's curves to <run>/metrics.png.
func (d *run) plots(context.Context) error {
	keys := map[string]string{
		"sft": "loss/sft", "rm": "loss/bt,eval/accuracy,rm/accuracy", "rm-unfiltered": "loss/bt,eval/accuracy,rm/accuracy",
		"rl-rule": "reward/mean,reward/pass_rate,kl/,loss/policy,rollout/response_length",
		"rl-rm":   "reward/mean,reward/pass_rate,kl/,loss/policy,rollout/response_length",
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		dir := d.path(name)
		recs, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
		if err != nil {
			continue // a stage that did not run here has nothing to plot
		}
		runs := []charts.Run{{Name: name, Records: recs}}
		ks := charts.Filter(charts.Keys(runs), keys[name])
		if len(ks) == 0 {
			continue
		}
		out := filepath.Join(dir, "metrics.png")
		if err := charts.Draw(out, runs, ks, 3); err != nil {
			return err
		}
		d.report.Plots = append(d.report.Plots, out)
	}
	return nil
}

// Print writes the tables and where everything is.
func (r *Report) Print(w io.Writer) {
	n := 0
	if len(r.PassAt1) > 0 {
		n = r.PassAt1[0].HeldOutTasks
	}
	f := r.Filter
	fmt.Fprintf(w, "Test filtering on the rl questions: %d questions, %d synthesized tests (%d wrong); the oracle kept %d tests of %d questions\n\n",
		f.Questions, f.Tests, f.Wrong, f.Kept, f.KeptQuestions)
	_ = eval.PrintTable(w, fmt.Sprintf("Best-of-N on %d held-out tasks (SFT policy; %% of tasks passing every test)", n), r.BestOfN)
	fmt.Fprintln(w)
	r.printRMs(w)
	fmt.Fprintf(w, "Greedy pass@1 (%%): held-out tasks, and the rl questions (RL's prompts are their hard subset)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "policy\theld-out\tΔ vs SFT\trl questions\t")
	base := 0.0
	for i, p := range r.PassAt1 {
		if i == 0 {
			base = p.HeldOut
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%+.1f\t%.1f\t\n", p.Policy, p.HeldOut, p.HeldOut-base, p.RL)
	}
	tw.Flush()
	fmt.Fprintln(w)
	r.printCurves(w)
	names := make([]string, 0, len(r.Dirs))
	for k := range r.Dirs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(w, "run %-8s %s\n", k, r.Dirs[k])
	}
	for _, p := range r.Plots {
		fmt.Fprintf(w, "plot %s\n", p)
	}
	fmt.Fprintf(w, "wall time %s\n", r.Duration.Round(1e9))
}

func (r *Report) printRMs(w io.Writer) {
	n := 0
	if len(r.BestOfN) > 0 {
		n = r.BestOfN[len(r.BestOfN)-1].N
	}
	fmt.Fprintf(w, "Reward models (Table 5): %d held-out pairs (AceCoder's rule on the best-of-N samples) from %d held-out questions\n",
		r.HeldOutPairs, r.PairQuestions)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RM trained on pairs from\tpairs\tpreferring the wrong program\theld-out pair accuracy (%%)\tRM@%d\t\n", n)
	for _, m := range r.RMs {
		fmt.Fprintf(tw, "%s tests\t%d\t%d\t%.1f\t%.1f\t\n", m.Tests, m.Pairs.Pairs, m.Pairs.Wrong, m.PairAcc, m.RMAtN)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func (r *Report) printCurves(w io.Writer) {
	if len(r.Curves) == 0 {
		return
	}
	fmt.Fprintf(w, "Reinforce++ on the hard rl questions: means of the first and the last %d rollouts\n", curveSpan)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\trollouts\treward (trained on)\trule pass rate of the same samples\t")
	for _, c := range r.Curves {
		note := ""
		if c.Run == "rl-rm" {
			note = " (measured, not trained on)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f → %.3f\t%.3f → %.3f%s\t\n", c.Run, c.Rollouts, c.RewardFirst, c.RewardLast, c.PassFirst, c.PassLast, note)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// writeReport saves the printed report as report.txt in the demo folder.
func (d *run) writeReport() error {
	var b strings.Builder
	d.report.Print(&b)
	return os.WriteFile(d.path("report.txt"), []byte(b.String()), 0o644)
}
