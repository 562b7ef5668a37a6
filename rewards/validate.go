package rewards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// jobMode is which kind of tests a job carries.
type jobMode string

const (
	modeAsserts   jobMode = "asserts"   // Tests
	modeHumanEval jobMode = "humaneval" // Test + EntryPoint
	modeCalls     jobMode = "calls"     // Calls (+ Expected or Outputs)
	modeIO        jobMode = "io"        // IO
	modeUnitTest  jobMode = "unittest"  // UnitTest
)

// modes lists the modes whose fields the job sets, with the fields.
func (j Job) modes() (modes []jobMode, fields []string) {
	add := func(m jobMode, f string) { modes, fields = append(modes, m), append(fields, f) }
	if len(j.Tests) > 0 {
		add(modeAsserts, "tests")
	}
	if j.Test != "" {
		add(modeHumanEval, "test")
	}
	if len(j.Calls) > 0 || len(j.Expected) > 0 || j.Outputs {
		add(modeCalls, "calls")
	}
	if len(j.IO) > 0 {
		add(modeIO, "io")
	}
	if j.UnitTest != "" {
		add(modeUnitTest, "unittest")
	}
	return modes, fields
}

// mode is the job's mode (asserts for a job without tests, which passes
// nothing); call Validate first.
func (j Job) mode() jobMode {
	if m, _ := j.modes(); len(m) > 0 {
		return m[0]
	}
	return modeAsserts
}

// Validate reports every problem of a job at once: fields of two modes,
// a mode's missing fields, calls that are not JSON arrays, expected
// values that are not the sandbox's serialisation, a bad atol. Each
// message names the job's ID and the field.
func (j Job) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("rewards: job %q: %s", j.ID, fmt.Sprintf(format, a...)))
	}
	modes, fields := j.modes()
	if len(modes) > 1 {
		bad("sets the fields of %d modes (%s); a job has one", len(modes), strings.Join(fields, ", "))
		return errors.Join(errs...)
	}
	mode := j.mode()
	program := j.Program != "" || j.Prompt != "" || j.Completion != ""
	switch mode {
	case modeHumanEval, modeCalls:
		if j.EntryPoint == "" {
			bad("%s needs entry_point", fields[0])
		} else if !isIdentifier(j.EntryPoint) {
			bad("entry_point %q is not a Python identifier", j.EntryPoint)
		}
	default:
		if j.EntryPoint != "" && mode != modeAsserts {
			bad("entry_point is not used by %s jobs", mode)
		}
	}
	if (mode == modeIO || mode == modeUnitTest) && (j.Prompt != "" || j.Completion != "") {
		bad("%s jobs take program, not prompt/completion", mode)
	}
	if mode == modeIO && j.Setup != "" {
		bad("setup is not used by io jobs (the program runs as __main__)")
	}
	if (mode == modeIO || mode == modeUnitTest || mode == modeCalls) && !program {
		bad("%s needs a program", fields[0])
	}
	if mode == modeCalls {
		errs = append(errs, j.validateCalls()...)
	} else if j.Atol != 0 {
		bad("atol is used only with calls")
	}
	return errors.Join(errs...)
}

func (j Job) validateCalls() []error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("rewards: job %q: %s", j.ID, fmt.Sprintf(format, a...)))
	}
	if len(j.Calls) == 0 {
		bad("calls is empty")
	}
	for i, c := range j.Calls {
		var args []json.RawMessage
		if c := bytes.TrimSpace(c); len(c) == 0 || c[0] != '[' || json.Unmarshal(c, &args) != nil {
			bad("calls[%d]: not a JSON array of arguments: %.60s", i, c)
		}
	}
	if math.IsNaN(j.Atol) || math.IsInf(j.Atol, 0) || j.Atol < 0 {
		bad("atol %v: want a finite number >= 0", j.Atol)
	}
	switch {
	case j.Outputs && len(j.Expected) > 0:
		bad("outputs computes the outputs; expected must be empty")
	case !j.Outputs && len(j.Expected) != len(j.Calls):
		bad("%d calls but %d expected outputs (set outputs to compute them)", len(j.Calls), len(j.Expected))
	}
	if !j.Outputs {
		for i, e := range j.Expected {
			if _, err := decodeValue(e); err != nil {
				bad("expected[%d]: not a value as Runner.Outputs gives it: %.60s", i, e)
			}
		}
	}
	return errs
}

// isIdentifier reports whether s is an ASCII Python identifier (entry
// points are; the name reaches the sandbox as data, never as code).
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
