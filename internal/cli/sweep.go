package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"acecoder/configs"
	"acecoder/progress"
	"acecoder/rundir"
)

// SweepOptions configures RunSweep.
type SweepOptions struct {
	Root     string   // sweep directory; each run goes to Root/<run name>
	Parallel int      // runs at a time (default 1)
	Exe      string   // binary to run (default this one)
	Args     []string // arguments before the overrides (e.g. --config base)
	Quiet    bool
	Stderr   io.Writer
}

// SweepResult is one run's outcome and final metrics.
type SweepResult struct {
	Name    string             `json:"name"`
	Dir     string             `json:"dir"`
	Status  string             `json:"status"` // done | skipped (done before) | failed
	Error   string             `json:"error,omitempty"`
	Final   map[string]float64 `json:"final"` // last value of every metric
	Seconds float64            `json:"seconds"`
}

// doneFile marks a finished run; a rerun of the sweep skips it.
const doneFile = "done.json"

// RunSweep runs each member of s as a child process of the binary with
// --out-dir Root/<name> and the member's overrides, Parallel at a time.
// Finished runs are skipped, so an interrupted sweep resumes where it
// stopped; a run that has checkpoints is resumed from its latest. It writes
// summary.json and summary.tsv in Root and returns the results.
func RunSweep(ctx context.Context, s *configs.Sweep, opts SweepOptions) ([]SweepResult, error) {
	if opts.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.Exe = exe
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if err := os.MkdirAll(opts.Root, 0o755); err != nil {
		return nil, err
	}
	results := make([]SweepResult, len(s.Runs))
	bar := progress.New(len(s.Runs), "sweep "+s.Name, progress.Options{Quiet: opts.Quiet})
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, opts.Parallel))
	for i, run := range s.Runs {
		g.Go(func() error {
			res := runOne(gctx, run, opts)
			mu.Lock()
			results[i] = res
			fmt.Fprintf(opts.Stderr, "sweep %s: %s %s%s\n", s.Name, run.Name, res.Status, suffix(res.Error))
			mu.Unlock()
			bar.Add(1)
			return nil // one failed run does not stop the others
		})
	}
	_ = g.Wait()
	bar.Finish()
	if err := writeSummary(opts.Root, results); err != nil {
		return results, err
	}
	var failed []string
	for _, r := range results {
		if r.Status == "failed" {
			failed = append(failed, r.Name)
		}
	}
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("sweep %s: %d of %d runs failed: %s", s.Name, len(failed), len(results), strings.Join(failed, ", "))
	}
	return results, nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func runOne(ctx context.Context, run configs.SweepRun, opts SweepOptions) SweepResult {
	dir := filepath.Join(opts.Root, run.Name)
	res := SweepResult{Name: run.Name, Dir: dir}
	if data, err := os.ReadFile(filepath.Join(dir, doneFile)); err == nil && json.Unmarshal(data, &res) == nil {
		res.Status = "skipped"
		return res
	}
	if ctx.Err() != nil {
		res.Status, res.Error = "failed", ctx.Err().Error()
		return res
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Status, res.Error = "failed", err.Error()
		return res
	}
	args := append(slices.Clone(opts.Args), "--out-dir="+dir, "--quiet")
	if steps, _ := filepath.Glob(filepath.Join(dir, "step-*")); len(steps) > 0 {
		args = append(args, "--resume=latest")
	}
	args = append(args, run.Args()...)
	log, err := os.Create(filepath.Join(dir, "sweep.log"))
	if err != nil {
		res.Status, res.Error = "failed", err.Error()
		return res
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, opts.Exe, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // let it checkpoint
	cmd.WaitDelay = 2 * time.Minute
	start := time.Now()
	err = cmd.Run()
	res.Seconds = time.Since(start).Seconds()
	res.Final = finalMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		res.Status, res.Error = "failed", fmt.Sprintf("%v (see %s)", err, log.Name())
		return res
	}
	res.Status = "done"
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := rundir.WriteFileAtomic(filepath.Join(dir, doneFile), data); err != nil {
		res.Status, res.Error = "failed", err.Error()
	}
	return res
}

// finalMetrics is the last value of each key of a metrics log.
func finalMetrics(path string) map[string]float64 {
	recs, err := rundir.ReadMetrics(path)
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for _, r := range recs {
		maps.Copy(out, r)
	}
	return out
}

// writeSummary saves summary.json and summary.tsv.
func writeSummary(root string, results []SweepResult) error {
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := rundir.WriteFileAtomic(filepath.Join(root, "summary.json"), data); err != nil {
		return err
	}
	var b strings.Builder
	if err := SweepTable(&b, results, "\t"); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(filepath.Join(root, "summary.tsv"), []byte(b.String()))
}

// SweepTable writes one row per run: name, status, then the final value of
// every metric any run logged (time and step excluded), separated by sep
// ("\t" for TSV, or aligned columns when sep is "").
func SweepTable(w io.Writer, results []SweepResult, sep string) error {
	keys := map[string]bool{}
	for _, r := range results {
		for k := range r.Final {
			if k != "time" {
				keys[k] = true
			}
		}
	}
	cols := slices.Sorted(maps.Keys(keys))
	out := w
	var tw *tabwriter.Writer
	if sep == "" {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		out, sep = tw, "\t"
	}
	fmt.Fprintln(out, strings.Join(append([]string{"run", "status"}, cols...), sep))
	for _, r := range results {
		row := []string{r.Name, r.Status}
		for _, c := range cols {
			if v, ok := r.Final[c]; ok {
				row = append(row, fmt.Sprintf("%.4g", v))
			} else {
				row = append(row, "-")
			}
		}
		fmt.Fprintln(out, strings.Join(row, sep))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// SweepFlags adds --sweep and --parallel to a training command.
type SweepFlags struct {
	file     string
	parallel int
}

// AddSweepFlags registers --sweep FILE and --parallel N on cmd.
func AddSweepFlags(cmd *cobra.Command) *SweepFlags {
	s := &SweepFlags{}
	cmd.Flags().StringVar(&s.file, "sweep", "", "run every member of this sweep file (grid and/or runs of overrides), each in its own run directory; finished runs are skipped")
	cmd.Flags().IntVar(&s.parallel, "parallel", 1, "sweep runs at a time")
	return s
}

// Run runs the sweep when --sweep was given and reports whether it did.
// newCfg returns a config holding the command's defaults. The sweep goes
// to --out-dir, or runs/sweep-<name>.
func (s *SweepFlags) Run(cmd *cobra.Command, c *Config, newCfg func() any, quiet bool) (bool, error) {
	if s.file == "" {
		return false, nil
	}
	var extra []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "sweep", "parallel", "config", "out-dir", "quiet":
		default:
			extra = append(extra, f.Name)
		}
	})
	if len(extra) > 0 {
		return true, UsageError{fmt.Errorf("%w (got --%s)", ErrSweepUsage, strings.Join(extra, ", --"))}
	}
	sw, err := configs.LoadSweep(s.file, newCfg, c.file)
	if err != nil {
		return true, UsageError{err}
	}
	root := filepath.Join("runs", "sweep-"+sw.Name)
	if f := cmd.Flags().Lookup("out-dir"); f != nil && f.Changed {
		root = f.Value.String()
	}
	var args []string
	if sw.Base != "" {
		args = append(args, "--config="+sw.Base)
	}
	results, err := RunSweep(cmd.Context(), sw, SweepOptions{Root: root, Parallel: s.parallel, Args: args, Quiet: quiet, Stderr: cmd.ErrOrStderr()})
	if len(results) > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "sweep %s (%s):\n", sw.Name, root)
		_ = SweepTable(cmd.OutOrStdout(), results, "")
	}
	return true, err
}

// ErrSweepUsage is returned when --sweep is combined with flags it cannot honour.
var ErrSweepUsage = errors.New("--sweep takes --config (the base), --out-dir and --parallel; other keys go in the sweep file")
