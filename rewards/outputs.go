package rewards

import (
	"context"
	"encoding/json"
	"fmt"
)

// CallOutput is what one call of a value-case job returned.
type CallOutput struct {
	// Value is the returned value in the sandbox's tagged serialisation
	// (built-in values only; see doc.go); set iff Status is pass. Put it in
	// Job.Expected to judge other programs against this one.
	Value  json.RawMessage `json:"value,omitempty"`
	Status Status          `json:"status"` // pass, or why there is no value (error, timeout, fail for a value that is not built-in, ...)
	Reason string          `json:"reason,omitempty"`
}

// Outputs runs job's program on its Calls (Expected is ignored) and
// returns one output per call: this is how the expected outputs of value
// cases are computed from a task's canonical solution, in the same
// sandbox and with the same serialisation as the candidates' outputs.
func (r *Runner) Outputs(ctx context.Context, job Job) ([]CallOutput, error) {
	job.Expected, job.Outputs = nil, true
	res, err := r.Do(ctx, job)
	if err != nil {
		return nil, err
	}
	return CallOutputs(res)
}

// CallOutputs reads the outputs out of the result of a job with Outputs
// set (from Do, acecoder exec or the queue).
func CallOutputs(res Result) ([]CallOutput, error) {
	if len(res.Values) != len(res.Tests) {
		return nil, fmt.Errorf("rewards: job %q: %d values for %d calls (was outputs set?)", res.ID, len(res.Values), len(res.Tests))
	}
	out := make([]CallOutput, len(res.Tests))
	for i, v := range res.Tests {
		out[i] = CallOutput{Status: v.Status, Reason: v.Reason}
		if v.Status == StatusPass {
			out[i].Value = res.Values[i]
		}
	}
	return out, nil
}
