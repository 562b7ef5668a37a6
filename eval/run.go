package eval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/rewards"
	"acecoder/rollout"
)

// Completion is one answer to a task with its verdict.
type Completion struct {
	Text    string // the model's text (empty for a graded samples file that gives only the solution)
	Program string // the program graded (evalplus's "solution")
	Passed  bool   // every (base) test passed
	// PlusPassed: the base and the plus tests passed (evalplus's "base +
	// extra"); meaningful for tasks with plus tests only.
	PlusPassed bool
	Status     Status // pass, fail, error or timeout (Classify)
	Result     rewards.Result
	Score      float64 // reward-model score, when scored
}

// Runner executes programs against their tests: a local sandboxed
// *rewards.Runner, or the execution queue.
type Runner interface {
	Run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error)
}

// streamRunner is a Runner that reports each result as it finishes (the
// local sandbox), which the progress callback counts.
type streamRunner interface {
	Stream(ctx context.Context, in <-chan rewards.Job) <-chan rewards.StreamResult
}

// Evaluator generates answers with a policy and checks them in the sandbox.
type Evaluator struct {
	Policy  *policy.TextModel
	Engine  *rollout.Engine
	Exec    Runner
	Timeout time.Duration
	Batch   int
	MaxNew  int
	Seed    uint64
	// Style is the prompt style; "" is StyleProject.
	Style PromptStyle
	// Generated and Checked, when set, are called as completions finish
	// and as programs are checked (progress bars).
	Generated, Checked func(n int)
}

// PromptMessages is this project's conversation that asks for a task
// (StyleProject): the question (MBPP adds its first test, as MBPP prompts
// do); HumanEval asks to complete the function in a code block.
func PromptMessages(t Task) []chat.Message {
	var q string
	switch t.Format {
	case HumanEval, EvalPlus:
		q = "Complete the following Python function:\n```python\n" + t.Prompt + "```"
	case MBPP:
		q = t.Prompt
		if len(t.Tests) > 0 {
			q += "\nYour code should pass this test:\n" + t.Tests[0]
		}
	case StdIO:
		q = TaskPrompt(t)
		if t.FnName == "" {
			q += "\n\nRead the input from stdin and write the answer to stdout."
		}
	case BigCodeBench:
		q = t.Instruct
		if q == "" {
			q = "Complete the following Python function:\n```python\n" + t.Prompt + "```"
		}
	default:
		q = t.Prompt
	}
	return []chat.Message{{"role": "user", "content": q}}
}

// Prompt is the token ids of task t's prompt in the evaluator's style.
func (e *Evaluator) Prompt(t Task) ([]int32, error) {
	var tmpl *chat.Template
	if e.Style != StyleCompletion {
		tmpl = e.Policy.Template
	}
	text, err := RenderPrompt(tmpl, e.Style, t)
	if err != nil {
		return nil, err
	}
	return e.Policy.Encode(text), nil
}

// Generate samples n completions per task (greedy when temperature is 0)
// and returns them per task, in sample order.
func (e *Evaluator) Generate(ctx context.Context, tasks []Task, n int, sampling rollout.Sampling) ([][]Completion, error) {
	reqs := make([]rollout.Request, len(tasks))
	var stops [][]string
	for i, t := range tasks {
		ids, err := e.Prompt(t)
		if err != nil {
			return nil, fmt.Errorf("eval: task %s: %w", t.ID, err)
		}
		reqs[i] = rollout.Request{PromptIDs: ids, N: n}
		stops = append(stops, StopStrings(e.Style, t))
	}
	sampling.ValidVocab = e.Policy.Tok.VocabSize()
	opts := rollout.Options{Sampling: sampling, MaxNewTokens: e.MaxNew, StopIDs: e.Policy.StopIDs(), BatchSize: e.Batch,
		Seed: e.Seed, Detokenize: e.Policy.Decode}
	if e.Style == StyleCompletion || e.Style == StyleEvalPlus {
		opts.Stop = e.stopFunc(stops)
	}
	out := make([][]Completion, len(tasks))
	for i := range out {
		out[i] = make([]Completion, n)
	}
	ch := make(chan rollout.Sample)
	errc := make(chan error, 1)
	go func() { errc <- e.Engine.Stream(ctx, reqs, opts, ch); close(ch) }()
	for s := range ch {
		t := tasks[s.PromptIndex]
		out[s.PromptIndex][s.SampleIndex] = Completion{Text: s.Text, Program: Solution(e.Style, t, s.Text)}
		if e.Generated != nil {
			e.Generated(1)
		}
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	return out, nil
}

// stopFunc ends a completion at its task's stop strings.
func (e *Evaluator) stopFunc(stops [][]string) rollout.StopFunc {
	checks := make([]rollout.StopFunc, len(stops))
	for i, s := range stops {
		checks[i] = e.Policy.StopAt(s)
	}
	return func(prompt int, c []int32) bool { return checks[prompt] != nil && checks[prompt](prompt, c) }
}

// Check runs every completion against its task's tests and fills Passed,
// PlusPassed, Status and Result. Tasks with value cases need their
// expected outputs first (Prepare).
func (e *Evaluator) Check(ctx context.Context, tasks []Task, comps [][]Completion) error {
	var jobs []rewards.Job
	for i, cs := range comps {
		for j, c := range cs {
			job, err := tasks[i].Job(fmt.Sprintf("%s#%d", tasks[i].ID, j), c.Text, c.Program)
			if err != nil {
				return err
			}
			job.Timeout = e.Timeout
			jobs = append(jobs, job)
		}
	}
	res, err := e.run(ctx, jobs)
	if err != nil {
		return err
	}
	k := 0
	for i := range comps {
		for j := range comps[i] {
			c := &comps[i][j]
			c.Result = res[k]
			c.Passed, c.PlusPassed = tasks[i].Verdict(res[k])
			c.Status = Classify(res[k])
			k++
		}
	}
	return nil
}

// run executes jobs, reporting progress through Checked.
func (e *Evaluator) run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error) {
	s, ok := e.Exec.(streamRunner)
	if !ok || e.Checked == nil {
		res, err := e.Exec.Run(ctx, jobs)
		if err == nil && e.Checked != nil {
			e.Checked(len(jobs))
		}
		return res, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := rewards.Feed(ctx, jobs)
	out := make([]rewards.Result, len(jobs))
	done := 0
	for r := range s.Stream(ctx, in) {
		if r.Err != nil {
			return nil, fmt.Errorf("eval: job %s: %w", jobs[r.Index].ID, r.Err)
		}
		out[r.Index] = r.Result
		done++
		e.Checked(1)
	}
	if done != len(jobs) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("eval: %d of %d jobs came back", done, len(jobs))
	}
	return out, nil
}

// Score fills each completion's reward-model score (question, completion).
func Score(ctx context.Context, rm *rewards.RewardModel, tasks []Task, comps [][]Completion) error {
	var prompts, responses []string
	for i, cs := range comps {
		for _, c := range cs {
			prompts = append(prompts, strings.TrimSpace(tasks[i].Prompt))
			responses = append(responses, c.Text)
		}
	}
	scores, err := rm.ScorePairs(ctx, prompts, responses)
	if err != nil {
		return err
	}
	k := 0
	for i := range comps {
		for j := range comps[i] {
			comps[i][j].Score = float64(scores[k])
			k++
		}
	}
	return nil
}

// TableRows turns checked and scored completions into Table-2 rows.
// With plus, a completion counts as passing only when its base and plus
// tests pass (the HumanEval+ / MBPP+ columns); call it only on tasks that
// all have plus tests.
func TableRows(greedy, sampled [][]Completion, ns []int, plus bool) ([]BestOfN, error) {
	passed := func(c Completion) bool { return c.Passed && (!plus || c.PlusPassed) }
	tasks := make([]TaskSamples, len(sampled))
	for i, cs := range sampled {
		t := TaskSamples{GreedyPassed: len(greedy[i]) > 0 && passed(greedy[i][0])}
		for _, c := range cs {
			t.Passed = append(t.Passed, passed(c))
			t.Scores = append(t.Scores, c.Score)
		}
		tasks[i] = t
	}
	return BestOfNTable(tasks, ns)
}
