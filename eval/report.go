package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"acecoder/rewards"
	"acecoder/rundir"
)

// Files eval and bon write in a run directory.
const (
	SamplesFile = "samples.jsonl" // every sample, evalplus's format
	ResultsFile = "results.jsonl" // per task: each sample's outcome
	SummaryFile = "summary.json"  // Summary
	TableFile   = "table.json"    // bon: the Table-2 rows ("base"; "plus": base + plus tests)
)

// SelectedFile is bon's file of the reward model's pick per task at N.
func SelectedFile(n int) string { return fmt.Sprintf("rm@%d.jsonl", n) }

var selectedName = regexp.MustCompile(`^rm@[0-9]+\.jsonl$`)

// isOutput reports whether a file of a run directory is one of eval's or
// bon's outputs, or the run's own record, which a new run would mix with.
func isOutput(name string) bool {
	switch name {
	case SamplesFile, ResultsFile, SummaryFile, TableFile, rundir.MetricsFile, rundir.InfoFile, rundir.ConfigFile:
		return true
	}
	return selectedName.MatchString(name)
}

// ErrRunExists is returned by PrepareRunDir for a directory that holds a
// run.
var ErrRunExists = errors.New("holds an earlier run (give --overwrite to replace it)")

// PrepareRunDir refuses a run directory that already holds a run's files,
// unless overwrite is set, in which case it removes them, so that a new
// run never leaves the old one's files beside its own. A missing or empty
// directory is fine.
func PrepareRunDir(dir string, overwrite bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var found []string
	for _, e := range entries {
		if isOutput(e.Name()) {
			found = append(found, e.Name())
		}
	}
	if len(found) == 0 {
		return nil
	}
	if !overwrite {
		return fmt.Errorf("eval: %s %w (it has %s)", dir, ErrRunExists, strings.Join(found, ", "))
	}
	for _, name := range found {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	return nil
}

// WriteFiles writes each file of files into dir, each through a temporary
// file renamed into place, so no reader ever sees half of one.
func WriteFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := rundir.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	return nil
}

// sampleResult is one sample's outcome in results.jsonl.
type sampleResult struct {
	Status Status `json:"status"`
	// Plus: base and plus tests all passed (tasks with plus tests).
	Plus   *bool  `json:"plus,omitempty"`
	Passed int    `json:"tests_passed"`
	Total  int    `json:"tests_total"`
	Reason string `json:"reason,omitempty"` // the first test that did not pass, and why
}

// resultRow is one task of results.jsonl.
type resultRow struct {
	TaskID     any            `json:"task_id"`
	Greedy     *sampleResult  `json:"greedy,omitempty"`
	N          int            `json:"n"`
	Passed     int            `json:"passed"`
	PlusPassed *int           `json:"plus_passed,omitempty"`
	Samples    []sampleResult `json:"samples,omitempty"`
}

func resultOf(t Task, c Completion) sampleResult {
	r := sampleResult{Status: c.Status, Passed: c.Result.Passed, Total: c.Result.Total}
	if r.Status == "" {
		r.Status = Classify(c.Result)
	}
	if t.HasPlus() {
		p := c.PlusPassed
		r.Plus = &p
	}
	for i, v := range c.Result.Tests {
		if v.Status != rewards.StatusPass {
			name := v.Name
			if name == "" {
				name = fmt.Sprintf("test %d", i)
			}
			r.Reason = fmt.Sprintf("%s: %s %s", name, v.Status, v.Reason)
			break
		}
	}
	return r
}

// EncodeResults writes one JSON row per task: its greedy sample's outcome
// and each sampled one's, with the counts that pass.
func EncodeResults(tasks []Task, greedy, sampled [][]Completion) ([]byte, error) {
	var b strings.Builder
	for i, t := range tasks {
		row := resultRow{TaskID: t.outID()}
		if i < len(greedy) && len(greedy[i]) > 0 {
			g := resultOf(t, greedy[i][0])
			row.Greedy = &g
		}
		plus := 0
		if i < len(sampled) {
			for _, c := range sampled[i] {
				row.Samples = append(row.Samples, resultOf(t, c))
				if c.Passed {
					row.Passed++
				}
				if c.PlusPassed {
					plus++
				}
			}
			row.N = len(sampled[i])
		}
		if t.HasPlus() {
			row.PlusPassed = &plus
		}
		data, err := json.Marshal(row)
		if err != nil {
			return nil, err
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// PrintSummary writes the paper's columns for what ran: greedy pass@1,
// pass@k of the samples and, where the tasks have plus tests, the same on
// base + plus tests (HumanEval+ / MBPP+), then the samples by outcome.
func PrintSummary(w io.Writer, title string, s Summary, ks []int) error {
	fmt.Fprintf(w, "%s: %d tasks\n", title, s.Tasks)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	var head, base, plus []string
	add := func(name string, v float64, pv *float64) {
		head, base = append(head, name), append(base, fmt.Sprintf("%.1f", v))
		if pv != nil {
			plus = append(plus, fmt.Sprintf("%.1f", *pv))
		} else {
			plus = append(plus, "-")
		}
	}
	if s.GreedyTasks > 0 {
		add("greedy pass@1", s.Greedy, s.GreedyPlus)
	}
	for _, k := range ks {
		key := fmt.Sprintf("pass@%d", k)
		v, ok := s.PassAtK[key]
		if !ok {
			continue
		}
		var pv *float64
		if p, ok := s.PlusPassAtK[key]; ok {
			pv = &p
		}
		add(fmt.Sprintf("%s (n=%d)", key, s.SamplesPer), v, pv)
	}
	if len(head) > 0 {
		fmt.Fprintf(tw, "\t%s\t\n", strings.Join(head, "\t"))
		fmt.Fprintf(tw, "base tests\t%s\t\n", strings.Join(base, "\t"))
		if s.GreedyPlus != nil || len(s.PlusPassAtK) > 0 {
			fmt.Fprintf(tw, "base + plus tests\t%s\t\n", strings.Join(plus, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var counts []string
	for _, st := range Statuses {
		counts = append(counts, fmt.Sprintf("%s %d", st, s.Counts[st]))
	}
	_, err := fmt.Fprintf(w, "samples: %s\n", strings.Join(counts, ", "))
	return err
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
