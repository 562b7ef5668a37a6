package eval

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// stdioTask converts a row whose tests are input/output cases:
// LiveCodeBench (question_content, starter_code, public_test_cases and
// private_test_cases as JSON strings, the private ones possibly
// base64(zlib(pickle(json))) as its later releases store them, metadata
// with func_name), APPS (question, input_output {"inputs", "outputs",
// "fn_name"}, solutions) and CodeContests (description, public_tests,
// private_tests, generated_tests as {"input": [...], "output": [...]}).
func stdioTask(id string, r rawRow) (Task, error) {
	var t Task
	var err error
	switch {
	case len(r.PublicCases) > 0:
		t, err = liveCodeBenchTask(r)
	case len(r.InputOutput) > 0:
		t, err = appsTask(r)
	default:
		t, err = codeContestsTask(r)
	}
	if err != nil {
		return Task{}, err
	}
	if len(t.Cases) == 0 {
		return Task{}, fmt.Errorf("no test cases")
	}
	if t.Prompt == "" {
		return Task{}, fmt.Errorf("no problem statement (question_content, question or description)")
	}
	t.ID, t.Format, t.Starter = id, StdIO, r.StarterCode
	if t.FnName != "" && !isIdentifier(t.FnName) {
		return Task{}, fmt.Errorf("func_name %q is not a Python identifier", t.FnName)
	}
	if t.FnName != "" {
		t.EntryPoint = t.FnName
	}
	return t, nil
}

// lcbCase is one LiveCodeBench test.
type lcbCase struct {
	Input    string `json:"input"`
	Output   string `json:"output"`
	TestType string `json:"testtype"`
}

func liveCodeBenchTask(r rawRow) (Task, error) {
	t := Task{Prompt: r.QuestionContent}
	for _, part := range []struct {
		key string
		raw json.RawMessage
	}{{"public_test_cases", r.PublicCases}, {"private_test_cases", r.PrivateCases}} {
		data, err := jsonOrString(part.raw)
		if err != nil {
			return Task{}, fmt.Errorf("%s: %w", part.key, err)
		}
		if len(data) == 0 {
			continue
		}
		var cases []lcbCase
		if err := json.Unmarshal(data, &cases); err != nil {
			if data, err = decodeLCBCompressed(data); err != nil {
				return Task{}, fmt.Errorf("%s: neither a JSON list of cases nor base64(zlib(pickle)): %w", part.key, err)
			}
			if err := json.Unmarshal(data, &cases); err != nil {
				return Task{}, fmt.Errorf("%s: decompressed: %w", part.key, err)
			}
		}
		for i, c := range cases {
			if c.TestType != "stdin" && c.TestType != "functional" {
				return Task{}, fmt.Errorf("%s[%d]: testtype %q (want stdin or functional)", part.key, i, c.TestType)
			}
			if (c.TestType == "functional") != (r.hasFuncName()) {
				return Task{}, fmt.Errorf("%s[%d]: testtype %s with metadata func_name %q", part.key, i, c.TestType, r.funcName())
			}
			t.Cases = append(t.Cases, IOCase{Input: c.Input, Output: c.Output})
		}
	}
	t.FnName = r.funcName()
	return t, nil
}

// funcName is metadata's func_name (metadata is a JSON string or object).
func (r rawRow) funcName() string {
	data, err := jsonOrString(r.Metadata)
	if err != nil || len(data) == 0 {
		return ""
	}
	var m struct {
		FuncName string `json:"func_name"`
	}
	_ = json.Unmarshal(data, &m)
	return m.FuncName
}

func (r rawRow) hasFuncName() bool { return r.funcName() != "" }

// appsIO is APPS's input_output. Inputs and outputs are strings (or lists
// of lines) for stdin problems and argument lists / return values for
// call-based ones (fn_name set).
type appsIO struct {
	Inputs  []json.RawMessage `json:"inputs"`
	Outputs []json.RawMessage `json:"outputs"`
	FnName  string            `json:"fn_name"`
}

func appsTask(r rawRow) (Task, error) {
	data, err := jsonOrString(r.InputOutput)
	if err != nil {
		return Task{}, fmt.Errorf("input_output: %w", err)
	}
	var io appsIO
	if err := json.Unmarshal(data, &io); err != nil {
		return Task{}, fmt.Errorf("input_output: %w", err)
	}
	if len(io.Inputs) != len(io.Outputs) {
		return Task{}, fmt.Errorf("input_output: %d inputs and %d outputs", len(io.Inputs), len(io.Outputs))
	}
	t := Task{Prompt: r.Question, FnName: io.FnName}
	for i := range io.Inputs {
		c, err := appsCase(io.Inputs[i], io.Outputs[i], io.FnName != "")
		if err != nil {
			return Task{}, fmt.Errorf("input_output case %d: %w", i, err)
		}
		t.Cases = append(t.Cases, c)
	}
	if sols, err := jsonOrString(r.Solutions); err == nil && len(sols) > 0 {
		var list []string
		if json.Unmarshal(sols, &list) == nil && len(list) > 0 {
			t.Reference = list[0]
		}
	}
	return t, nil
}

// appsCase converts one APPS case. A call-based case's input is the list
// of arguments, written one JSON value per line; its output, a list
// holding the return value as APPS stores it, is unwrapped.
func appsCase(in, out json.RawMessage, call bool) (IOCase, error) {
	if call {
		var args []json.RawMessage
		if err := json.Unmarshal(in, &args); err != nil {
			return IOCase{}, fmt.Errorf("call-based input: want a list of arguments: %v", err)
		}
		lines := make([]string, len(args))
		for i, a := range args {
			lines[i] = string(compactJSON(a))
		}
		var want []json.RawMessage
		if json.Unmarshal(out, &want) == nil && len(want) == 1 {
			out = want[0]
		}
		return IOCase{Input: strings.Join(lines, "\n"), Output: string(compactJSON(out))}, nil
	}
	i, err := textOrLines(in)
	if err != nil {
		return IOCase{}, fmt.Errorf("input: %w", err)
	}
	o, err := textOrLines(out)
	if err != nil {
		return IOCase{}, fmt.Errorf("output: %w", err)
	}
	return IOCase{Input: i, Output: o}, nil
}

// ccTests is one CodeContests test split.
type ccTests struct {
	Input  []string `json:"input"`
	Output []string `json:"output"`
}

func codeContestsTask(r rawRow) (Task, error) {
	t := Task{Prompt: r.Description}
	for _, part := range []struct {
		key string
		raw json.RawMessage
	}{{"public_tests", r.PublicTests}, {"private_tests", r.PrivateTests}, {"generated_tests", r.GeneratedTests}} {
		if len(bytes.TrimSpace(part.raw)) == 0 || string(bytes.TrimSpace(part.raw)) == "null" {
			continue
		}
		var ts ccTests
		if err := json.Unmarshal(part.raw, &ts); err != nil {
			return Task{}, fmt.Errorf("%s: %w", part.key, err)
		}
		if len(ts.Input) != len(ts.Output) {
			return Task{}, fmt.Errorf("%s: %d inputs and %d outputs", part.key, len(ts.Input), len(ts.Output))
		}
		for i := range ts.Input {
			t.Cases = append(t.Cases, IOCase{Input: ts.Input[i], Output: ts.Output[i]})
		}
	}
	var sols struct {
		Language []int    `json:"language"`
		Solution []string `json:"solution"`
	}
	if len(r.Solutions) > 0 && json.Unmarshal(r.Solutions, &sols) == nil {
		for i, lang := range sols.Language {
			if lang == ccPython3 && i < len(sols.Solution) {
				t.Reference = sols.Solution[i]
				break
			}
		}
	}
	return t, nil
}

// ccPython3 is CodeContests' language code of Python 3 solutions.
const ccPython3 = 3

// jsonOrString returns raw, or the text of raw when it is a JSON string
// (the releases store nested JSON as strings). Empty and null give nil.
func jsonOrString(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(s)), nil
}

// textOrLines reads a string, or a list of lines joined by newlines.
func textOrLines(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return "", fmt.Errorf("want a string or a list of lines, got %.40s", raw)
	}
	return strings.Join(lines, "\n") + "\n", nil
}

func compactJSON(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// maxLCBCases bounds a decompressed private_test_cases field.
const maxLCBCases = 1 << 30

// decodeLCBCompressed reverses LiveCodeBench's packing of private test
// cases: base64 of zlib of a pickled str holding the JSON.
func decodeLCBCompressed(s []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(string(s))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	defer zr.Close()
	p, err := io.ReadAll(io.LimitReader(zr, maxLCBCases+1))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	if len(p) > maxLCBCases {
		return nil, fmt.Errorf("zlib: more than %d bytes", maxLCBCases)
	}
	return unpickleString(p)
}

var errNotPickledStr = errors.New("pickle: not a pickled str")

// unpickleString reads a pickle that holds one str and nothing else
// (protocol 2 to 5: PROTO, FRAME, SHORT_BINUNICODE / BINUNICODE /
// BINUNICODE8, MEMOIZE, STOP). Any other opcode is refused: nothing in a
// data file is ever unpickled in general.
func unpickleString(p []byte) ([]byte, error) {
	var out []byte
	have := false
	for i := 0; i < len(p); {
		op := p[i]
		i++
		need := func(n uint64) bool { return uint64(len(p)-i) >= n }
		switch op {
		case 0x80: // PROTO
			if !need(1) {
				return nil, errNotPickledStr
			}
			i++
		case 0x95: // FRAME
			if !need(8) {
				return nil, errNotPickledStr
			}
			i += 8
		case 0x94: // MEMOIZE
		case 0x8c, 'X', 0x8d: // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
			if have {
				return nil, errNotPickledStr
			}
			var n uint64
			switch op {
			case 0x8c:
				if !need(1) {
					return nil, errNotPickledStr
				}
				n, i = uint64(p[i]), i+1
			case 'X':
				if !need(4) {
					return nil, errNotPickledStr
				}
				n, i = uint64(binary.LittleEndian.Uint32(p[i:])), i+4
			default:
				if !need(8) {
					return nil, errNotPickledStr
				}
				n, i = binary.LittleEndian.Uint64(p[i:]), i+8
			}
			if !need(n) {
				return nil, errNotPickledStr
			}
			out, have = p[i:i+int(n)], true
			i += int(n)
		case '.': // STOP
			if !have || i != len(p) {
				return nil, errNotPickledStr
			}
			return out, nil
		default:
			return nil, fmt.Errorf("%w (opcode 0x%02x)", errNotPickledStr, op)
		}
	}
	return nil, errNotPickledStr
}

// isIdentifier reports whether s is an ASCII Python identifier.
func isIdentifier(s string) bool {
	for i, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
