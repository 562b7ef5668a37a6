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

// plots draws each training run's curves to <run>/metrics.png.
func (d *run) plots(context.Context) error {
	keys := map[string]string{
		"sft": "loss/sft", "rm": "loss/bt,eval/accuracy,rm/accuracy",
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

// Print writes the two tables and where everything is.
func (r *Report) Print(w io.Writer) {
	n := 0
	if len(r.PassAt1) > 0 {
		n = r.PassAt1[0].HeldOutTasks
	}
	_ = eval.PrintTable(w, fmt.Sprintf("Best-of-N on %d held-out tasks (SFT policy; %% of tasks passing every test)", n), r.BestOfN)
	fmt.Fprintln(w)
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

// writeReport saves the printed report as report.txt in the demo folder.
func (d *run) writeReport() error {
	var b strings.Builder
	d.report.Print(&b)
	return os.WriteFile(d.path("report.txt"), []byte(b.String()), 0o644)
}
