package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"acecoder/charts"
	"acecoder/internal/cli"
	"acecoder/rundir"
)

func init() { register(newPlotCmd) }

func newPlotCmd(*cli.Globals) *cobra.Command {
	var out, keys string
	var cols int
	cmd := &cobra.Command{
		Use:   "plot RUN_DIR...",
		Short: "plot the metrics of runs (or of every run in a sweep directory) to a PNG",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := collectRuns(args)
			if err != nil {
				return err
			}
			ks := charts.Filter(charts.Keys(runs), keys)
			if len(ks) == 0 {
				return cli.Usagef("no metric matches --keys %q", keys)
			}
			if out == "" {
				out = filepath.Join(args[0], "metrics.png")
			}
			if err := charts.Draw(out, runs, ks, cols); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d runs, %d metrics)\n", out, len(runs), len(ks))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "PNG file (default RUN_DIR/metrics.png)")
	cmd.Flags().StringVar(&keys, "keys", "", "comma-separated metric key prefixes to plot (default all)")
	cmd.Flags().IntVar(&cols, "cols", 3, "panels per row")
	return cmd
}

// collectRuns reads metrics.jsonl of each directory, or of each
// subdirectory holding one (a sweep).
func collectRuns(dirs []string) ([]charts.Run, error) {
	var runs []charts.Run
	for _, d := range dirs {
		path := filepath.Join(d, rundir.MetricsFile)
		if _, err := os.Stat(path); err == nil {
			recs, err := rundir.ReadMetrics(path)
			if err != nil {
				return nil, err
			}
			runs = append(runs, charts.Run{Name: filepath.Base(d), Records: recs})
			continue
		}
		sub, _ := filepath.Glob(filepath.Join(d, "*", rundir.MetricsFile))
		if len(sub) == 0 {
			return nil, cli.Usagef("%s: no %s here or in its subdirectories", d, rundir.MetricsFile)
		}
		for _, p := range sub {
			recs, err := rundir.ReadMetrics(p)
			if err != nil {
				return nil, err
			}
			runs = append(runs, charts.Run{Name: filepath.Base(filepath.Dir(p)), Records: recs})
		}
	}
	return runs, nil
}
