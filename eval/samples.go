package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"acecoder/extract"
	"acecoder/internal/rowid"
)

// Decoding says how a sample was generated.
type Decoding string

// Decodings. A samples file without the field is read as sampled: every
// row of a task counts towards its pass@k, as evalplus counts them.
const (
	Greedy  Decoding = "greedy"
	Sampled Decoding = "sampled"
)

// Sample is one row of a samples file: evalplus's {"task_id", "solution"}
// (or "completion", which continues the task's prompt), plus the fields
// this project writes (decoding, index, the model's raw completion).
type Sample struct {
	TaskID     string
	Solution   string // the program; empty when only a completion is given
	Completion string
	Decoding   Decoding
	Line       int // where the row is, for messages
}

// sampleRow is a samples-file row: evalplus's fields, this project's
// extras, or an AceCode-87K row whose inferences are the samples.
type sampleRow struct {
	TaskID     rowid.ID `json:"task_id"`
	ID         rowid.ID `json:"id"`
	Solution   *string  `json:"solution"`
	Completion *string  `json:"completion"`
	Decoding   Decoding `json:"decoding"`
	Inferences []struct {
		Completion *string `json:"completion"`
	} `json:"inferences"`
}

// maxSampleErrors bounds the bad rows one error lists.
const maxSampleErrors = 10

// ReadSamples reads a samples file: JSONL rows in evalplus's format
// ({"task_id", "solution"} or {"task_id", "completion"}), as eval writes
// them (with decoding), or AceCode-87K rows (id, inferences[].completion).
// Every bad row is an error naming the file and line (the first ten are
// listed); nothing is graded from a file with bad rows.
func ReadSamples(path string) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	return parseSamples(f, path)
}

func parseSamples(r io.Reader, name string) ([]Sample, error) {
	var out []Sample
	var errs []error
	bad := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		ss, err := parseSampleRow(b, line)
		if err != nil {
			if bad++; bad <= maxSampleErrors {
				errs = append(errs, fmt.Errorf("%s:%d: %v", name, line, err))
			}
			continue
		}
		out = append(out, ss...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", name, err)
	}
	if bad > maxSampleErrors {
		errs = append(errs, fmt.Errorf("%s: %d more bad rows", name, bad-maxSampleErrors))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	return out, nil
}

// parseSampleRow reads one row into its samples.
func parseSampleRow(b []byte, line int) ([]Sample, error) {
	var r sampleRow
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	id := r.TaskID
	if id.IsZero() {
		id = r.ID
	}
	if id.String() == "" {
		return nil, fmt.Errorf(`no "task_id" (or "id")`)
	}
	switch r.Decoding {
	case "", Greedy, Sampled:
	default:
		return nil, fmt.Errorf(`"decoding": %q is neither %q nor %q`, r.Decoding, Greedy, Sampled)
	}
	s := Sample{TaskID: id.String(), Decoding: r.Decoding, Line: line}
	if s.Decoding == "" {
		s.Decoding = Sampled
	}
	switch {
	case r.Solution != nil:
		s.Solution = *r.Solution
		if r.Completion != nil {
			s.Completion = *r.Completion
		}
	case r.Completion != nil:
		s.Completion = *r.Completion
	case len(r.Inferences) > 0:
		var out []Sample
		for i, inf := range r.Inferences {
			if inf.Completion == nil {
				return nil, fmt.Errorf(`"inferences"[%d] has no "completion"`, i)
			}
			c := s
			c.Completion = *inf.Completion
			out = append(out, c)
		}
		return out, nil
	default:
		return nil, fmt.Errorf(`task %s: no "solution", "completion" or "inferences"`, s.TaskID)
	}
	return []Sample{s}, nil
}

// Program is the program graded for a sample of task t: the solution as
// given; otherwise the completion's own program when it defines the entry
// point (a chat model's reply), else the task's prompt followed by the
// completion (evalplus's rule for completions).
func (s Sample) Program(t Task) string {
	if s.Solution != "" {
		return s.Solution
	}
	if t.EntryPoint != "" && definesEntry(s.Completion, t.EntryPoint) {
		return extract.Program(s.Completion, t.EntryPoint)
	}
	switch t.Format {
	case HumanEval, EvalPlus, BigCodeBench:
		return t.Prompt + s.Completion
	}
	return extract.Program(s.Completion, t.EntryPoint)
}

// GroupSamples matches samples to tasks by task id (evalplus's names; a
// bare MBPP number also finds Mbpp/<number>) and returns the tasks that
// have samples, in benchmark order, with their greedy and sampled
// completions in file order. A sample of an unknown task is an error
// naming its line.
func GroupSamples(tasks []Task, samples []Sample, name string) (used []Task, greedy, sampled [][]Completion, err error) {
	index := map[string]int{}
	for i, t := range tasks {
		index[t.ID] = i
		if s := t.RowID.String(); s != "" {
			if _, ok := index[s]; !ok {
				index[s] = i
			}
		}
	}
	g := make([][]Completion, len(tasks))
	sm := make([][]Completion, len(tasks))
	var errs []error
	for _, s := range samples {
		i, ok := index[s.TaskID]
		if !ok {
			i, ok = index["Mbpp/"+s.TaskID]
		}
		if !ok {
			if len(errs) < maxSampleErrors {
				errs = append(errs, fmt.Errorf("%s:%d: task %q is not in the benchmark", name, s.Line, s.TaskID))
			}
			continue
		}
		c := Completion{Text: s.Completion, Program: s.Program(tasks[i])}
		if s.Decoding == Greedy {
			if len(g[i]) > 0 {
				errs = append(errs, fmt.Errorf("%s:%d: task %s has a second greedy sample", name, s.Line, s.TaskID))
				continue
			}
			g[i] = append(g[i], c)
		} else {
			sm[i] = append(sm[i], c)
		}
	}
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}
	for i, t := range tasks {
		if len(g[i]) == 0 && len(sm[i]) == 0 {
			continue
		}
		used = append(used, t)
		greedy, sampled = append(greedy, g[i]), append(sampled, sm[i])
	}
	return used, greedy, sampled, nil
}

// sampleOut is a row of the samples eval writes: evalplus's task_id and
// solution, and fields evalplus ignores.
type sampleOut struct {
	TaskID     any      `json:"task_id"`
	Solution   string   `json:"solution"`
	Decoding   Decoding `json:"decoding"`
	Index      int      `json:"index"`
	Completion string   `json:"completion,omitempty"`
	Score      *float64 `json:"score,omitempty"`
}

// EncodeSamples writes the samples of every task as JSONL in evalplus's
// format: first the greedy sample, then the sampled ones, task by task.
func EncodeSamples(tasks []Task, greedy, sampled [][]Completion) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, t := range tasks {
		for _, part := range []struct {
			d  Decoding
			cs [][]Completion
		}{{Greedy, greedy}, {Sampled, sampled}} {
			if i >= len(part.cs) {
				continue
			}
			for j, c := range part.cs[i] {
				if err := enc.Encode(sampleOut{TaskID: t.outID(), Solution: c.Program, Decoding: part.d, Index: j, Completion: c.Text}); err != nil {
					return nil, err
				}
			}
		}
	}
	return buf.Bytes(), nil
}

// EncodeSelected writes, for one N, the sample the reward model ranks
// highest among each task's first N (ties: the earliest), in evalplus's
// format with its index and score: the programs an RM@N column grades.
func EncodeSelected(tasks []Task, sampled [][]Completion, n int) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i, t := range tasks {
		cs := sampled[i]
		if len(cs) < n {
			return nil, fmt.Errorf("eval: task %s has %d samples, fewer than N=%d", t.ID, len(cs), n)
		}
		scores := make([]float64, n)
		for j := range scores {
			scores[j] = cs[j].Score
		}
		best := SelectBest(scores, n)
		row := sampleOut{TaskID: t.outID(), Solution: cs[best].Program, Decoding: Sampled, Index: best, Completion: cs[best].Text}
		if score := cs[best].Score; !math.IsNaN(score) && !math.IsInf(score, 0) {
			row.Score = &score
		}
		if err := enc.Encode(row); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
