package eval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"acecoder/extract"
	"acecoder/internal/rowid"
	"acecoder/rewards"
)

// Format names a benchmark row shape.
type Format string

const (
	HumanEval Format = "humaneval" // task_id, prompt, entry_point, test (def check(candidate)), canonical_solution
	MBPP      Format = "mbpp"      // task_id, text, code, test_list, test_setup_code
	AceCode   Format = "acecode"   // id, question, test_cases (this project's toy suite too)
)

// Task is one benchmark problem in a common shape.
type Task struct {
	ID         string
	RowID      rowid.ID // ID as the row wrote it (string or number), for the reports
	Format     Format
	Prompt     string   // what the model is asked: code to complete (HumanEval) or a question
	EntryPoint string   // function under test, when known
	Tests      []string // assert statements (MBPP, AceCode)
	Setup      string   // MBPP test_setup_code
	Check      string   // HumanEval test: a check(candidate) function
	Reference  string   // reference solution, when the file has one
}

// Job builds the runner job that checks completion against the task's
// tests. For HumanEval the completion continues the prompt unless it
// already defines the entry point itself (a chat model's whole program).
func (t Task) Job(id, completion string, program string) rewards.Job {
	if t.Format == HumanEval {
		j := rewards.Job{ID: id, Test: t.Check, EntryPoint: t.EntryPoint}
		if program != "" && strings.Contains(program, "def "+t.EntryPoint) {
			j.Program = program
		} else {
			j.Prompt, j.Completion = t.Prompt, completion
		}
		return j
	}
	return rewards.Job{ID: id, Program: program, Tests: t.Tests, Setup: t.Setup}
}

// rawRow holds every field any supported format uses.
type rawRow struct {
	TaskID     rowid.ID `json:"task_id"`
	ID         rowid.ID `json:"id"`
	Prompt     string   `json:"prompt"`
	EntryPoint string   `json:"entry_point"`
	Test       string   `json:"test"`
	Canonical  string   `json:"canonical_solution"`
	Text       string   `json:"text"`
	Code       string   `json:"code"`
	TestList   []string `json:"test_list"`
	TestSetup  string   `json:"test_setup_code"`
	Question   string   `json:"question"`
	TestCases  []string `json:"test_cases"`
	Program    string   `json:"program"`
}

// parseRow detects the format of one JSON row and converts it.
func parseRow(data []byte) (Task, error) {
	var r rawRow
	if err := json.Unmarshal(data, &r); err != nil {
		return Task{}, err
	}
	rid := r.TaskID
	if rid.IsZero() {
		rid = r.ID
	}
	id := rid.String()
	if id == "" {
		return Task{}, fmt.Errorf("no task_id or id")
	}
	t, err := taskOf(id, r)
	t.RowID = rid
	return t, err
}

// outID is the id the reports write: as the row wrote it, else ID.
func (t Task) outID() any {
	if t.RowID.IsZero() {
		return t.ID
	}
	return t.RowID
}

// taskOf converts a row of a known format.
func taskOf(id string, r rawRow) (Task, error) {
	switch {
	case r.Prompt != "" && r.Test != "" && r.EntryPoint != "":
		return Task{ID: id, Format: HumanEval, Prompt: r.Prompt, EntryPoint: r.EntryPoint, Check: r.Test, Reference: r.Canonical}, nil
	case len(r.TestList) > 0:
		q := r.Text
		if q == "" {
			q = r.Question
		}
		if q == "" {
			return Task{}, fmt.Errorf("task %s: test_list without text", id)
		}
		return Task{ID: id, Format: MBPP, Prompt: q, Tests: r.TestList, Setup: r.TestSetup, Reference: r.Code, EntryPoint: extract.EntryFromTests(r.TestList)}, nil
	case r.Question != "" && len(r.TestCases) > 0:
		ep := r.EntryPoint
		if ep == "" {
			ep = extract.EntryFromTests(r.TestCases)
		}
		return Task{ID: id, Format: AceCode, Prompt: r.Question, Tests: r.TestCases, EntryPoint: ep, Reference: r.Program}, nil
	}
	return Task{}, fmt.Errorf("task %s: not a HumanEval (prompt, test, entry_point), MBPP (text, test_list) or AceCode (question, test_cases) row", id)
}

// ReadBench reads a benchmark file (JSONL, or JSONL.gz by extension). A bad
// row is reported as "file:line: reason" in skipped and the rest is read.
func ReadBench(path string) (tasks []Task, skipped []error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	tasks, skipped, err = parseBench(r, path)
	if err == nil && len(tasks) == 0 {
		err = fmt.Errorf("eval: %s: no tasks (%d bad rows)", path, len(skipped))
	}
	return tasks, skipped, err
}

func parseBench(r io.Reader, name string) ([]Task, []error, error) {
	var tasks []Task
	var skipped []error
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		t, err := parseRow(b)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("%s:%d: %v", name, line, err))
			continue
		}
		if first, dup := seen[t.ID]; dup {
			skipped = append(skipped, fmt.Errorf("%s:%d: task %s repeats line %d", name, line, t.ID, first))
			continue
		}
		seen[t.ID] = line
		tasks = append(tasks, t)
	}
	if err := sc.Err(); err != nil {
		return tasks, skipped, fmt.Errorf("eval: %s: %w", name, err)
	}
	return tasks, skipped, nil
}
