package eval

import (
	"context"
	"fmt"
	"strings"
	"time"

	"acecoder/extract"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/rewards"
	"acecoder/rollout"
)

// Completion is one generated answer to a task with its verdict.
type Completion struct {
	Text    string
	Program string
	Passed  bool
	Result  rewards.Result
	Score   float64 // reward-model score, when scored
}

// Runner executes programs against their tests: a local sandboxed
// *rewards.Runner, or the execution queue.
type Runner interface {
	Run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error)
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
}

// PromptMessages is the conversation that asks for a task: the question
// (MBPP adds its first test, as MBPP prompts do); HumanEval asks to
// complete the function in a code block.
func PromptMessages(t Task) []chat.Message {
	var q string
	switch t.Format {
	case HumanEval:
		q = "Complete the following Python function:\n```python\n" + t.Prompt + "```"
	case MBPP:
		q = t.Prompt
		if len(t.Tests) > 0 {
			q += "\nYour code should pass this test:\n" + t.Tests[0]
		}
	default:
		q = t.Prompt
	}
	return []chat.Message{{"role": "user", "content": q}}
}

// Generate samples n completions per task (greedy when temperature is 0)
// and returns them per task.
func (e *Evaluator) Generate(ctx context.Context, tasks []Task, n int, sampling rollout.Sampling) ([][]Completion, error) {
	reqs := make([]rollout.Request, len(tasks))
	for i, t := range tasks {
		ids, err := e.Policy.ChatPrompt(PromptMessages(t), "")
		if err != nil {
			return nil, fmt.Errorf("eval: task %s: %w", t.ID, err)
		}
		reqs[i] = rollout.Request{PromptIDs: ids, N: n}
	}
	sampling.ValidVocab = e.Policy.Tok.VocabSize()
	samples, err := e.Engine.Generate(ctx, reqs, rollout.Options{Sampling: sampling, MaxNewTokens: e.MaxNew,
		StopIDs: e.Policy.StopIDs(), BatchSize: e.Batch, Seed: e.Seed, Detokenize: e.Policy.Decode})
	if err != nil {
		return nil, err
	}
	out := make([][]Completion, len(tasks))
	for _, s := range samples {
		t := tasks[s.PromptIndex]
		out[s.PromptIndex] = append(out[s.PromptIndex], Completion{Text: s.Text, Program: extract.Program(s.Text, t.EntryPoint)})
	}
	return out, nil
}

// Check runs every completion against its task's tests and fills Passed
// (every test passed) and Result.
func (e *Evaluator) Check(ctx context.Context, tasks []Task, comps [][]Completion) error {
	var jobs []rewards.Job
	for i, cs := range comps {
		for j, c := range cs {
			job := tasks[i].Job(fmt.Sprintf("%s#%d", tasks[i].ID, j), c.Text, c.Program)
			job.Timeout = e.Timeout
			jobs = append(jobs, job)
		}
	}
	res, err := e.Exec.Run(ctx, jobs)
	if err != nil {
		return err
	}
	k := 0
	for i := range comps {
		for j := range comps[i] {
			comps[i][j].Result, comps[i][j].Passed = res[k], res[k].AllPassed
			k++
		}
	}
	return nil
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

// Summary is the outcome of an evaluation.
type Summary struct {
	Tasks      int                `json:"tasks"`
	Greedy     float64            `json:"greedy_pass@1"`
	PassAtK    map[string]float64 `json:"pass@k,omitempty"`
	SamplesPer int                `json:"samples_per_task,omitempty"`
}

// Summarise computes greedy pass@1 (percent) and pass@k (percent) over
// the sampled completions.
func Summarise(greedy [][]Completion, sampled [][]Completion, ks []int) (Summary, error) {
	s := Summary{Tasks: len(greedy)}
	for _, g := range greedy {
		if len(g) > 0 && g[0].Passed {
			s.Greedy++
		}
	}
	s.Greedy = 100 * s.Greedy / float64(max(1, len(greedy)))
	if len(sampled) == 0 || len(sampled[0]) == 0 {
		return s, nil
	}
	ns, cs := make([]int, len(sampled)), make([]int, len(sampled))
	for i, comp := range sampled {
		ns[i] = len(comp)
		for _, c := range comp {
			if c.Passed {
				cs[i]++
			}
		}
	}
	s.SamplesPer = ns[0]
	s.PassAtK = map[string]float64{}
	for _, k := range ks {
		if k > ns[0] {
			continue
		}
		p, err := MeanPassAtK(ns, cs, k)
		if err != nil {
			return s, err
		}
		s.PassAtK[fmt.Sprintf("pass@%d", k)] = 100 * p
	}
	return s, nil
}

// TableRows turns checked and scored completions into Table-2 rows.
func TableRows(greedy, sampled [][]Completion, ns []int) ([]BestOfN, error) {
	tasks := make([]TaskSamples, len(sampled))
	for i, cs := range sampled {
		t := TaskSamples{GreedyPassed: len(greedy[i]) > 0 && greedy[i][0].Passed}
		for _, c := range cs {
			t.Passed = append(t.Passed, c.Passed)
			t.Scores = append(t.Scores, c.Score)
		}
		tasks[i] = t
	}
	return BestOfNTable(tasks, ns)
}
