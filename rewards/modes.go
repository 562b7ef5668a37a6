package rewards

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The preparation of each job mode but asserts (see Job and doc.go).

// prepareHumanEval splits the check function into per-assert tests where
// it can; the test module runs as the tests' namespace.
func (r *Runner) prepareHumanEval(pj *preparedJob, job Job) error {
	split, err := r.analyzer.splitHumanEval(job.Test, job.EntryPoint)
	if err != nil {
		return err
	}
	pj.mode, pj.entry, pj.param, pj.module = "he", job.EntryPoint, split.Param, job.Test
	pj.tests, err = r.analyzer.analyse(split.Tests)
	return err
}

// prepareCalls makes one test per call; the expected values stay here.
// The job was validated: calls are arrays, expected values decode.
func prepareCalls(pj *preparedJob, job Job) {
	pj.mode, pj.entry, pj.outputs = "calls", job.EntryPoint, job.Outputs
	pj.tests = make([]analysedTest, len(job.Calls))
	for i, c := range job.Calls {
		var compact bytes.Buffer
		if json.Compact(&compact, c) != nil {
			compact.Reset()
			compact.Write(c)
		}
		at := analysedTest{Kind: kindCall, Code: compact.String(), atol: job.Atol, record: job.Outputs}
		if !job.Outputs {
			at.want, _ = decodeValue(job.Expected[i])
			at.wantOK = true
		}
		pj.tests[i] = at
	}
}

// prepareIO makes one test per case; the expected outputs stay here.
func prepareIO(pj *preparedJob, job Job) {
	pj.mode = "io"
	pj.tests = make([]analysedTest, len(job.IO))
	for i, c := range job.IO {
		pj.tests[i] = analysedTest{Kind: kindIO, Code: c.Input, stdout: c.Output}
	}
}

// prepareUnitTest makes one test per test method the analyzer finds; a
// module that does not parse is one erroneous test.
func (r *Runner) prepareUnitTest(pj *preparedJob, job Job) error {
	split, err := r.analyzer.unitTests(job.UnitTest)
	if err != nil {
		return err
	}
	if split.Error != "" {
		pj.tests = []analysedTest{{Kind: kindBad, Reason: split.Error}}
		return nil
	}
	pj.mode, pj.module = "unit", job.UnitTest
	pj.tests = make([]analysedTest, len(split.Tests))
	for i, name := range split.Tests {
		pj.tests[i] = analysedTest{Kind: kindUnit, Code: name}
	}
	return nil
}

// name is the test's name in its verdict: Class.method for unittest.
func (at analysedTest) name() string {
	if at.Kind == kindUnit {
		return at.Code
	}
	return ""
}

// stdoutCap is how much of a case's stdout the worker keeps: twice the
// expected output plus 64 KiB. A program that prints more fails the case
// at once (no normalisation could make it match).
func stdoutCap(want string) int { return 2*len(want) + 64<<10 }

// decodeStdout reads a worker's ["out", [stdout, failure or null]] payload.
func decodeStdout(raw json.RawMessage) (stdout, failure string, ok bool) {
	var pair []json.RawMessage
	if json.Unmarshal(raw, &pair) != nil || len(pair) != 2 || json.Unmarshal(pair[0], &stdout) != nil {
		return "", "", false
	}
	if string(bytes.TrimSpace(pair[1])) == "null" {
		return stdout, "", true
	}
	if json.Unmarshal(pair[1], &failure) != nil || failure == "" {
		return "", "", false
	}
	return stdout, failure, true
}

// judgeValue is a value case's verdict: pass when valueMatch holds.
func judgeValue(got, want pyValue, atol float64) (Status, string) {
	if valueMatch(got, want, atol) {
		return StatusPass, ""
	}
	return StatusFail, fmt.Sprintf("got %s, want %s", got.repr(), want.repr())
}

// judgeOutput is a stdin/stdout case's verdict: pass when outputMatch
// holds.
func judgeOutput(got, want string) (Status, string) {
	if ok, why := outputMatch(got, want); !ok {
		return StatusFail, why
	}
	return StatusPass, ""
}
