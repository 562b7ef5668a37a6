package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"acecoder/data"
	"acecoder/eval"
	"acecoder/extract"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/toy"
)

// Files the data stages share. The suite has three disjoint splits (see
// package toy): the policy is fine-tuned on sft-tasks; the rl questions
// play AceCode-87K, questions the policy was not fine-tuned on, which it
// is sampled on for the preference pairs and trained on by RL; held-out
// tasks only evaluate. The rl questions come with synthesized tests, some
// wrong (rl-unfiltered), and with the tests the oracle filter keeps
// (rl-tasks).
func (d *run) sftTasks() string          { return d.path("data", "sft-tasks.jsonl") }
func (d *run) rlQuestions() string       { return d.path("data", "rl-questions.jsonl") }
func (d *run) rlFiltered() string        { return d.path("data", "rl-filtered.jsonl") }
func (d *run) rlTasks() string           { return d.path("data", "rl-tasks.jsonl") }
func (d *run) rlUnfiltered() string      { return d.path("data", "rl-unfiltered.jsonl") }
func (d *run) heldOutTasks() string      { return d.path("data", "heldout-tasks.jsonl") }
func (d *run) samples(v string) string   { return d.path("data", "samples"+v+".jsonl") }
func (d *run) pairsFile(v string) string { return d.path("data", "pairs"+v+".jsonl") }
func (d *run) pairStats() string         { return d.path("data", "pairs-stats.json") }

// rlTruth holds the rl questions with the tests the reference program was
// checked against when the suite was made: never trained or selected on,
// only for counting the pairs that prefer the wrong program.
func (d *run) rlTruth() string { return d.path("data", "rl-truth.jsonl") }

// Test-set variants of the rl questions: AceCoder's filtered tests, and
// the synthesized tests as written (Table 5's "unfiltered").
const (
	filtered   = ""
	unfiltered = "-unfiltered"
)

// rlPrompts is what RL trains on: AceCoder's hard subset of the rl
// questions (data hard), with their filtered tests.
func (d *run) rlPrompts() string { return d.path("data", "hard.jsonl") }

// mistakes is how often the fine-tuning programs are the family's common
// mistake instead of the reference (see toy.WithMistakes): the SFT policy
// learns those mistakes from its data, as a model does from scraped code,
// and the tests (pairs, reward model, rule rewards) are what can undo them.
var mistakes = toy.Mistakes{Share: 0.5, High: 0.6, Low: 0.1}

// synth is how the rl questions' tests are written: AceCoder's GPT-4o-mini
// imagines about 20 tests per question and about 16 survive the oracle
// filter. Here 30% of the questions' writers share the family's common
// mistake (about half of their tests wrong) and 5% of the other tests are
// slips: about a fifth wrong in all.
func (d *run) synth() toy.Synth {
	return toy.Synth{Seed: uint64(d.opts.Seed), Tests: 20, Misled: 0.3, Slip: 0.05}
}

// suite is the demo's task suite.
func (d *run) suite() toy.Suite {
	return toy.Generate(toy.Options{Seed: uint64(d.opts.Seed), HeldOutFrac: 0.2, RLFrac: 0.3})
}

func (d *run) tasks(context.Context) error {
	if exists(d.heldOutTasks()) {
		return nil
	}
	s := d.suite()
	if err := os.MkdirAll(d.path("data"), 0o755); err != nil {
		return err
	}
	demos, misled := toy.WithMistakes(s.Train, uint64(d.opts.Seed), mistakes)
	d.logf("fine-tuning programs carry their family's common mistake at rate %.2f in %s, %.2f elsewhere",
		mistakes.High, strings.Join(misled, ", "), mistakes.Low)
	if err := data.WriteJSONLAtomic(d.sftTasks(), demos); err != nil {
		return err
	}
	rl := toy.Synthesize(s.RL, d.synth())
	questions := make([]data.QuestionRow, len(rl))
	for i, t := range rl {
		questions[i] = data.QuestionRow{ID: t.ID, Source: t.Source, Question: t.Question, Tests: t.Tests, Program: t.Program}
	}
	if err := data.WriteJSONLAtomic(d.rlUnfiltered(), rl); err != nil {
		return err
	}
	if err := data.WriteJSONLAtomic(d.rlQuestions(), questions); err != nil {
		return err
	}
	if err := data.WriteJSONLAtomic(d.rlTruth(), s.RL); err != nil {
		return err
	}
	d.logf("%d fine-tuning, %d rl and %d held-out tasks in %s", len(s.Train), len(s.RL), len(s.HeldOut), d.path("data"))
	return data.WriteJSONLAtomic(d.heldOutTasks(), s.HeldOut)
}

// FilterStats are the rl questions' test counts before and after
// AceCoder's oracle filter (the paper's Table 1).
type FilterStats struct {
	Questions, Tests, Wrong int // synthesized; Wrong is known by construction
	KeptQuestions, Kept     int // after the filter
}

// filter keeps the synthesized tests that the oracle program (the task's
// reference) passes and drops questions left with fewer than 5 tests, as
// AceCoder does with Qwen2.5-Coder-32B-Instruct's programs (data filter).
func (d *run) filter(ctx context.Context) error {
	statsFile := d.path("data", "filter.json")
	if raw, err := os.ReadFile(statsFile); err == nil && exists(d.rlTasks()) {
		return json.Unmarshal(raw, &d.report.Filter)
	}
	runner, err := d.sandbox(ctx)
	if err != nil {
		return err
	}
	_ = os.Remove(d.rlFiltered()) // a partial output from an interrupted run is redone
	_, err = data.Filter(ctx, data.FilterConfig{StageIO: data.StageIO{Input: d.rlQuestions(), Output: d.rlFiltered(), Log: d.opts.Log},
		Oracle: data.OracleProgram, Executor: data.NewRunnerExecutor(runner), MinTests: 5})
	if err != nil {
		return err
	}
	kept := map[string][]string{}
	if _, err := data.ReadJSONL(ctx, d.rlFiltered(), func(_ int, r data.FilteredRow) error {
		kept[r.ID] = r.Tests
		return nil
	}); err != nil {
		return err
	}
	var synth, out []toy.Task
	if _, err := data.ReadJSONL(ctx, d.rlUnfiltered(), func(_ int, t toy.Task) error {
		synth = append(synth, t)
		return nil
	}); err != nil {
		return err
	}
	st := FilterStats{Questions: len(synth), KeptQuestions: len(kept)}
	for _, t := range synth {
		st.Tests += len(t.Tests)
		st.Wrong += t.WrongTests
		if tests, ok := kept[t.ID]; ok {
			st.Kept += len(tests)
			t.Tests, t.WrongTests = tests, 0
			out = append(out, t)
		}
	}
	d.report.Filter = st
	d.logf("filter: %d of %d synthesized tests kept (%d were wrong); %d of %d questions kept", st.Kept, st.Tests, st.Wrong, st.KeptQuestions, st.Questions)
	if err := data.WriteJSONLAtomic(d.rlTasks(), out); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(statsFile, js, 0o644)
}

// sample draws Samples programs per rl question from the SFT policy, runs
// them against the synthesized tests, and writes AceCode-87K rows with
// their inferences twice: scored on every synthesized test (unfiltered)
// and on the tests the filter kept.
func (d *run) sample(ctx context.Context) error {
	if exists(d.samples(filtered)) {
		return nil
	}
	tasks, err := readTasks(d.rlUnfiltered())
	if err != nil {
		return err
	}
	keptTasks, err := readTasks(d.rlTasks())
	if err != nil {
		return err
	}
	ev, err := d.evaluator(ctx, d.sftModel())
	if err != nil {
		return err
	}
	comps, err := ev.Generate(ctx, tasks, d.opts.Scale.Samples, rollout.Sampling{Temperature: d.opts.Scale.Temperature})
	if err == nil {
		err = ev.Check(ctx, tasks, comps)
	}
	if err != nil {
		return err
	}
	kept := map[string][]string{}
	for _, t := range keptTasks {
		kept[t.ID] = t.Tests
	}
	var all, clean []data.AceCodeRow
	for i, t := range tasks {
		all = append(all, aceCodeRow(t, t.Tests, comps[i]))
		if k, ok := kept[t.ID]; ok {
			clean = append(clean, aceCodeRow(t, k, comps[i]))
		}
	}
	if err := data.WriteJSONLAtomic(d.samples(unfiltered), all); err != nil {
		return err
	}
	return data.WriteJSONLAtomic(d.samples(filtered), clean)
}

// aceCodeRow is task t's AceCode-87K row with the samples' verdicts on
// tests, a subset of the tests they were run against.
func aceCodeRow(t eval.Task, tests []string, comps []eval.Completion) data.AceCodeRow {
	row := data.AceCodeRow{ID: t.ID, Source: "toy", Question: t.Prompt, TestCases: tests,
		ContextMessages: []data.Message{{Role: "user", Content: t.Prompt}}}
	index := map[string]int{}
	for i, a := range t.Tests {
		index[a] = i
	}
	for j, c := range comps {
		inf := data.Inference{ModelName: "sft", CompletionID: j, Completion: c.Text}
		passed := 0
		for _, a := range tests {
			v := 0
			if i, ok := index[a]; ok && i < len(c.Result.Tests) && c.Result.Tests[i].Status == rewards.StatusPass {
				v = 1
			}
			passed += v
			inf.TestResults = append(inf.TestResults, v)
		}
		inf.PassRate = float64(passed) / float64(max(1, len(tests)))
		row.Inferences = append(row.Inferences, inf)
	}
	return row
}

// PairStats describes the pairs of one test variant.
type PairStats struct {
	Pairs, Questions int
	// Wrong counts the pairs whose chosen program passes fewer of the rl
	// question's reference-checked tests (rl-truth) than the rejected one.
	Wrong int
}

// pairs applies AceCoder's pair rule (chosen ≥ 0.8, gap ≥ 0.4, rejected >
// 0) to both sets of samples, counts the pairs that prefer the wrong
// program, and takes the hard subset (RL's prompts) from the filtered
// samples.
func (d *run) pairs(ctx context.Context) error {
	if exists(d.rlPrompts()) {
		return nil
	}
	stats := map[string]PairStats{}
	for _, v := range []string{filtered, unfiltered} {
		sum, err := data.Pairs(ctx, data.PairsConfig{Input: d.samples(v), Output: d.pairsFile(v), Rule: data.DefaultPairRule(), Log: d.opts.Log})
		if err != nil {
			return err
		}
		st := PairStats{Pairs: sum.Written, Questions: int(sum.Counts["questions with pairs"])}
		if st.Wrong, err = d.wrongPairs(ctx, d.pairsFile(v)); err != nil {
			return err
		}
		stats[v] = st
		d.logf("pairs%s: %d questions read, %d with pairs, %d pairs, %d preferring the wrong program", v, sum.Read, st.Questions, st.Pairs, st.Wrong)
	}
	js, _ := json.MarshalIndent(stats, "", "  ")
	if err := os.WriteFile(d.pairStats(), js, 0o644); err != nil {
		return err
	}
	_, err := data.Hard(ctx, data.HardConfig{Input: d.samples(filtered), Output: d.rlPrompts(), Log: d.opts.Log})
	return err
}

// wrongPairs runs both programs of every pair against the question's
// reference-checked tests and counts the pairs whose chosen program passes
// fewer of them.
func (d *run) wrongPairs(ctx context.Context, path string) (int, error) {
	truth, err := readTasks(d.rlTruth())
	if err != nil {
		return 0, err
	}
	byID := map[string]eval.Task{}
	for _, t := range truth {
		byID[t.ID] = t
	}
	var tasks []eval.Task
	var comps [][]eval.Completion
	if _, err := data.ReadJSONL(ctx, path, func(_ int, p data.PairRow) error {
		t := byID[p.ID]
		tasks = append(tasks, t)
		comps = append(comps, []eval.Completion{
			{Text: p.Chosen, Program: extract.Program(p.Chosen, t.EntryPoint)},
			{Text: p.Rejected, Program: extract.Program(p.Rejected, t.EntryPoint)}})
		return nil
	}); err != nil {
		return 0, err
	}
	runner, err := d.sandbox(ctx)
	if err != nil {
		return 0, err
	}
	if err := (&eval.Evaluator{Exec: runner}).Check(ctx, tasks, comps); err != nil {
		return 0, err
	}
	wrong := 0
	for _, c := range comps {
		if c[0].Result.PassRate < c[1].Result.PassRate {
			wrong++
		}
	}
	return wrong, nil
}

func readTasks(path string) ([]eval.Task, error) {
	tasks, _, err := eval.ReadBench(path)
	return tasks, err
}

// countLines is the number of rows of a JSONL file.
func countLines(path string) (int, error) {
	n, err := data.CountLines(path)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	return n, nil
}
