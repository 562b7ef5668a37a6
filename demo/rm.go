package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"acecoder/configs"
	"acecoder/data"
	"acecoder/eval"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/trainer"
)

// rmDir is the run directory of the reward model trained on the pairs of
// a test variant: rm (filtered tests) or rm-unfiltered.
func (d *run) rmDir(v string) string  { return d.path("rm" + v) }
func (d *run) rmModel() string        { return filepath.Join(d.rmDir(filtered), trainer.RMModelDir) }
func (d *run) heldOutSamples() string { return d.path("data", "heldout-samples.jsonl") }
func (d *run) heldOutPairs() string   { return d.path("data", "heldout-pairs.jsonl") }

// trainRM trains a Bradley-Terry reward model from the SFT backbone on the
// pairs from filtered tests (the one RL and best-of-N use), then one on the
// pairs from unfiltered tests (Table 5). Eval pairs are whole held-back rl
// questions: the settings are chosen on them, never on held-out tasks.
func (d *run) trainRM(ctx context.Context) error {
	for _, v := range []string{filtered, unfiltered} {
		if err := d.trainOneRM(ctx, v); err != nil {
			return fmt.Errorf("rm%s: %w", v, err)
		}
	}
	return nil
}

func (d *run) trainOneRM(ctx context.Context, v string) error {
	name := "rm" + v
	d.report.Dirs[name] = d.rmDir(v)
	if exists(filepath.Join(d.rmDir(v), trainer.RMModelDir, "config.json")) {
		return nil
	}
	pairs := d.pairsFile(v)
	n, err := countLines(pairs)
	if err != nil {
		return err
	}
	if n < 2 {
		return fmt.Errorf("%s: %d preference pairs; the SFT policy's samples need partly passing programs (fine-tune longer: more SFT epochs)", pairs, n)
	}
	s := d.opts.Scale
	cfg := configs.DefaultRM()
	cfg.Name, cfg.OutDir, cfg.Backend, cfg.Seed = name, d.rmDir(v), d.backendSpec(), d.opts.Seed
	cfg.Model = configs.Model{Path: d.sftModel(), ChatTemplate: "plain"}
	cfg.TrainData, cfg.EvalFraction, cfg.MaxLength = []string{pairs}, 0.1, 256
	// Batches of RMBatch pairs, fewer when the samples gave few pairs
	// (about 10% of the questions are held back for eval).
	batch := min(s.RMBatch, max(1, n/2))
	cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.MaxEpochs, cfg.EvalSteps, cfg.SaveSteps = batch, batch, s.RMEpochs, 20, 0
	cfg.Optim.LearningRate, cfg.Optim.WarmupRatio = s.RMLearningRate, 0.05
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := d.startRun(name, &cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	return trainer.TrainRM(ctx, cfg, r, trainer.RMRunOptions{Quiet: d.opts.Quiet, Log: d.opts.Log})
}

// RMRow is one line of the demo's Table 5: a reward model, what it was
// trained on, and how it does on held-out tasks.
type RMRow struct {
	Tests   string    // "filtered" or "unfiltered"
	Pairs   PairStats // what it was trained on (with its eval pairs)
	PairAcc float64   // % of the held-out pairs it ranks right
	RMAtN   float64   // RM@N on the held-out tasks (N = Samples)
}

// bonFile is what the best-of-n stage keeps, so a rerun prints it again.
type bonFile struct {
	BestOfN       []eval.BestOfN
	RMs           []RMRow
	HeldOutPairs  int // pairs among the held-out samples (AceCoder's rule)
	PairQuestions int // held-out questions they come from
}

// bestOfN is Table 2 on the held-out tasks: the SFT policy's greedy
// answer, Samples samples, their average and oracle pass rates, and the
// reward model's pick. The same samples give the reward models' eval set
// (Table 5): the pairs AceCoder's rule takes from them, on questions no
// reward model was trained on.
func (d *run) bestOfN(ctx context.Context) error {
	out := d.path("best-of-n.json")
	if raw, err := os.ReadFile(out); err == nil {
		var f bonFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return err
		}
		d.report.BestOfN, d.report.RMs, d.report.HeldOutPairs, d.report.PairQuestions = f.BestOfN, f.RMs, f.HeldOutPairs, f.PairQuestions
		return nil
	}
	tasks, err := readTasks(d.heldOutTasks())
	if err != nil {
		return err
	}
	ev, err := d.evaluator(ctx, d.sftModel())
	if err != nil {
		return err
	}
	greedy, err := ev.Generate(ctx, tasks, 1, rollout.Sampling{})
	if err == nil {
		err = ev.Check(ctx, tasks, greedy)
	}
	if err != nil {
		return err
	}
	n := d.opts.Scale.Samples
	sampled, err := ev.Generate(ctx, tasks, n, rollout.Sampling{Temperature: d.opts.Scale.Temperature})
	if err == nil {
		err = ev.Check(ctx, tasks, sampled)
	}
	if err != nil {
		return err
	}
	pairs, err := d.heldOutPairRows(ctx, tasks, sampled)
	if err != nil {
		return err
	}
	f := bonFile{HeldOutPairs: len(pairs)}
	qs := map[string]bool{}
	for _, p := range pairs {
		qs[p.ID] = true
	}
	f.PairQuestions = len(qs)
	var ns []int
	for k := 1; k <= n; k *= 2 {
		ns = append(ns, k)
	}
	var stats map[string]PairStats
	raw, err := os.ReadFile(d.pairStats())
	if err == nil {
		err = json.Unmarshal(raw, &stats)
	}
	if err != nil {
		return fmt.Errorf("demo: pair statistics: %w", err)
	}
	// The filtered-tests RM goes last: its scores stay on the samples for
	// the main table.
	for _, v := range []string{unfiltered, filtered} {
		rm, err := rewards.LoadRM(ctx, ev.Policy.Model.Backend, filepath.Join(d.rmDir(v), trainer.RMModelDir), rewards.RMLoadOptions{ChatTemplate: "plain"})
		if err != nil {
			return err
		}
		if err := eval.Score(ctx, rm, tasks, sampled); err != nil {
			return err
		}
		rows, err := eval.TableRows(greedy, sampled, ns, false)
		if err != nil {
			return err
		}
		row := RMRow{Tests: "filtered", Pairs: stats[v], RMAtN: rows[len(rows)-1].RM, PairAcc: pairAccuracy(tasks, sampled, pairs)}
		if v == unfiltered {
			row.Tests = "unfiltered"
		}
		f.RMs = append([]RMRow{row}, f.RMs...)
		f.BestOfN = rows
	}
	d.report.BestOfN, d.report.RMs, d.report.HeldOutPairs, d.report.PairQuestions = f.BestOfN, f.RMs, f.HeldOutPairs, f.PairQuestions
	js, _ := json.MarshalIndent(f, "", "  ")
	return os.WriteFile(out, js, 0o644)
}

// heldOutPairRows writes the held-out samples as AceCode rows, applies
// AceCoder's pair rule to them (data pairs) and returns the pairs.
func (d *run) heldOutPairRows(ctx context.Context, tasks []eval.Task, sampled [][]eval.Completion) ([]data.PairRow, error) {
	rows := make([]data.AceCodeRow, len(tasks))
	for i, t := range tasks {
		rows[i] = aceCodeRow(t, t.Tests, sampled[i])
	}
	if err := data.WriteJSONLAtomic(d.heldOutSamples(), rows); err != nil {
		return nil, err
	}
	if _, err := data.Pairs(ctx, data.PairsConfig{Input: d.heldOutSamples(), Output: d.heldOutPairs(), Rule: data.DefaultPairRule(), Log: d.opts.Log}); err != nil {
		return nil, err
	}
	var pairs []data.PairRow
	_, err := data.ReadJSONL(ctx, d.heldOutPairs(), func(_ int, p data.PairRow) error {
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}

// pairAccuracy is the percentage of pairs whose chosen program the scores
// rank above the rejected one.
func pairAccuracy(tasks []eval.Task, sampled [][]eval.Completion, pairs []data.PairRow) float64 {
	index := map[string]int{}
	for i, t := range tasks {
		index[t.ID] = i
	}
	right := 0
	for _, p := range pairs {
		cs := sampled[index[p.ID]]
		if cs[p.ChosenCompletion].Score > cs[p.RejectedCompletion].Score {
			right++
		}
	}
	return 100 * float64(right) / float64(max(1, len(pairs)))
}
