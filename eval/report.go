package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// WriteSamples writes evalplus-style samples (task_id, solution) and
// per-task results to dir: samples.jsonl and results.jsonl.
func WriteSamples(dir string, tasks []Task, comps [][]Completion) error {
	sf, err := os.Create(filepath.Join(dir, "samples.jsonl"))
	if err != nil {
		return err
	}
	defer sf.Close()
	rf, err := os.Create(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		return err
	}
	defer rf.Close()
	se, re := json.NewEncoder(sf), json.NewEncoder(rf)
	for i, cs := range comps {
		passed := 0
		var verdicts []bool
		for _, c := range cs {
			if err := se.Encode(map[string]any{"task_id": tasks[i].outID(), "solution": c.Program, "completion": c.Text}); err != nil {
				return err
			}
			if c.Passed {
				passed++
			}
			verdicts = append(verdicts, c.Passed)
		}
		if err := re.Encode(map[string]any{"task_id": tasks[i].outID(), "n": len(cs), "passed": passed, "verdicts": verdicts}); err != nil {
			return err
		}
	}
	return nil
}

// PrintTable writes Table-2 rows as aligned text: one row per N.
func PrintTable(w io.Writer, title string, rows []BestOfN) error {
	fmt.Fprintf(w, "%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tGreedy\tAverage\tOracle\tRM@N\tΔ(RM−greedy)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.1f\t%.1f\t%+.1f\t\n", r.N, r.Greedy, r.Average, r.Oracle, r.RM, r.Delta())
	}
	return tw.Flush()
}
