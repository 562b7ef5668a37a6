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
)

// Format names a benchmark row shape, and so the style of its tests.
type Format string

// Benchmark formats. Each maps to one kind of sandbox job (Task.Jobs).
const (
	HumanEval    Format = "humaneval"    // task_id, prompt, entry_point, test (def check(candidate)), canonical_solution
	MBPP         Format = "mbpp"         // task_id, text, code, test_list, test_setup_code
	AceCode      Format = "acecode"      // id, question, test_cases (this project's toy suite too)
	EvalPlus     Format = "evalplus"     // HumanEvalPlus / MbppPlus: prompt, entry_point, canonical_solution, base_input, plus_input, atol
	StdIO        Format = "stdio"        // LiveCodeBench, APPS, CodeContests: input/output cases (stdin/stdout, or LiveCodeBench's functional calls)
	BigCodeBench Format = "bigcodebench" // complete_prompt, instruct_prompt, code_prompt, canonical_solution, test (unittest.TestCase), entry_point
)

// Task is one benchmark problem in a common shape. Which fields are set
// depends on Format.
type Task struct {
	ID         string   // evalplus's name: HumanEval/0, Mbpp/2, BigCodeBench/0; else the row's id
	RowID      rowid.ID // the id the reports write (ID as a string, or the row's number)
	Format     Format
	Prompt     string   // the task prompt: code to complete, or the problem statement
	EntryPoint string   // function under test, when known
	Tests      []string // assert statements (MBPP, AceCode)
	Setup      string   // MBPP test_setup_code
	Check      string   // HumanEval test: a check(candidate) function
	Reference  string   // the reference program, when the row has one

	// EvalPlus: argument lists (each a JSON array) of the base and plus
	// tests, and the absolute tolerance of float outputs (0: evalplus's
	// 1e-6 for floats, exact otherwise).
	BaseInputs, PlusInputs []json.RawMessage
	Atol                   float64
	// Expected holds the outputs the value-comparing tests expect, one per
	// call (base then plus; LiveCodeBench's functional cases), as the
	// sandbox serialises values; Prepare computes them.
	Expected []json.RawMessage

	// StdIO: the cases, and for LiveCodeBench's functional (LeetCode)
	// tests the method of class Solution they call.
	Cases   []IOCase
	FnName  string
	Starter string // starter code shown with the problem

	// BigCodeBench: the instruct split's prompt and the unittest module.
	Instruct string
	TestCode string
}

// IOCase is one input/output test. For stdin/stdout problems Input is the
// program's stdin and Output the stdout it must print (compared line by
// line, trailing white space ignored). For functional problems Input holds
// the arguments, one JSON value per line, and Output the JSON of the
// return value (LiveCodeBench's encoding).
type IOCase struct {
	Input  string `json:"input"`
	Output string `json:"output"`
}

// HasPlus reports whether the task has evalplus's extra tests, whose
// pass@1 is reported beside the base tests'.
func (t Task) HasPlus() bool { return t.Format == EvalPlus && len(t.PlusInputs) > 0 }

// outID is the id the reports write: as the row wrote it, else ID.
func (t Task) outID() any {
	if t.RowID.IsZero() {
		return t.ID
	}
	return t.RowID
}

// rawRow holds every field any supported format uses. Fields whose JSON
// type varies between releases are kept raw.
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

	// evalplus
	BaseInput json.RawMessage `json:"base_input"`
	PlusInput json.RawMessage `json:"plus_input"`
	Atol      json.RawMessage `json:"atol"`

	// BigCodeBench
	CompletePrompt string `json:"complete_prompt"`
	InstructPrompt string `json:"instruct_prompt"`
	CodePrompt     string `json:"code_prompt"`

	// LiveCodeBench
	QuestionID      rowid.ID        `json:"question_id"`
	QuestionContent string          `json:"question_content"`
	StarterCode     string          `json:"starter_code"`
	PublicCases     json.RawMessage `json:"public_test_cases"`
	PrivateCases    json.RawMessage `json:"private_test_cases"`
	Metadata        json.RawMessage `json:"metadata"`

	// APPS
	ProblemID   rowid.ID        `json:"problem_id"`
	InputOutput json.RawMessage `json:"input_output"`
	Solutions   json.RawMessage `json:"solutions"`

	// CodeContests
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	PublicTests    json.RawMessage `json:"public_tests"`
	PrivateTests   json.RawMessage `json:"private_tests"`
	GeneratedTests json.RawMessage `json:"generated_tests"`
}

// rowID is the first id the row has, in the order the formats name them.
func (r rawRow) rowID() rowid.ID {
	for _, id := range []rowid.ID{r.TaskID, r.ID, r.QuestionID, r.ProblemID} {
		if !id.IsZero() {
			return id
		}
	}
	if r.Name != "" {
		return rowid.String(r.Name)
	}
	return rowid.ID{}
}

// parseRow detects the format of one JSON row and converts it.
func parseRow(data []byte) (Task, error) {
	var r rawRow
	if err := json.Unmarshal(data, &r); err != nil {
		return Task{}, err
	}
	rid := r.rowID()
	id := rid.String()
	if id == "" {
		return Task{}, fmt.Errorf("no task_id, id, question_id, problem_id or name")
	}
	t, err := taskOf(id, r)
	if err != nil {
		return Task{}, fmt.Errorf("task %s: %w", id, err)
	}
	if t.RowID.IsZero() {
		t.RowID = rid
	}
	return t, nil
}

// taskOf converts a row of a known format.
func taskOf(id string, r rawRow) (Task, error) {
	switch {
	case r.CompletePrompt != "" || r.InstructPrompt != "":
		return bigCodeBenchTask(id, r)
	case len(r.BaseInput) > 0:
		return evalPlusTask(id, r)
	case r.Prompt != "" && r.Test != "" && r.EntryPoint != "":
		return Task{ID: id, Format: HumanEval, Prompt: r.Prompt, EntryPoint: r.EntryPoint, Check: r.Test,
			Reference: r.Prompt + r.Canonical}, nil
	case len(r.TestList) > 0:
		return mbppTask(id, r)
	case len(r.PublicCases) > 0 || len(r.InputOutput) > 0 || len(r.PublicTests) > 0 || len(r.PrivateTests) > 0:
		return stdioTask(id, r)
	case r.Question != "" && len(r.TestCases) > 0:
		ep := r.EntryPoint
		if ep == "" {
			ep = extract.EntryFromTests(r.TestCases)
		}
		return Task{ID: id, Format: AceCode, Prompt: r.Question, Tests: r.TestCases, EntryPoint: ep, Reference: r.Program}, nil
	}
	return Task{}, fmt.Errorf("not a row of a known benchmark: HumanEval (prompt, test, entry_point), MBPP (text, test_list), " +
		"evalplus (base_input), BigCodeBench (complete_prompt, test), LiveCodeBench (public_test_cases), APPS (input_output), " +
		"CodeContests (public_tests) or AceCode (question, test_cases)")
}

// mbppTask converts an MBPP row; a numbered task gets evalplus's name
// Mbpp/<number>, which the reports write.
func mbppTask(id string, r rawRow) (Task, error) {
	q := r.Text
	if q == "" {
		q = r.Question
	}
	if q == "" {
		return Task{}, fmt.Errorf("test_list without text")
	}
	t := Task{ID: id, Format: MBPP, Prompt: q, Tests: r.TestList, Setup: r.TestSetup, Reference: r.Code,
		EntryPoint: extract.EntryFromTests(r.TestList)}
	if !strings.Contains(id, "/") {
		t.ID = "Mbpp/" + id
		t.RowID = rowid.String(t.ID)
	}
	return t, nil
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
		if len(skipped) > 0 {
			err = fmt.Errorf("%w; first: %w", err, skipped[0])
		}
	}
	return tasks, skipped, err
}

func parseBench(r io.Reader, name string) ([]Task, []error, error) {
	var tasks []Task
	var skipped []error
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
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
