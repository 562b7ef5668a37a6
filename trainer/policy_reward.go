package trainer

import (
	"context"
	"fmt"
	"time"

	"github.com/gomlx/compute"

	"acecoder/configs"
	"acecoder/extract"
	"acecoder/policy"
	"acecoder/rewards"
)

// SampleReward is the reward of one completion with what the logs show.
type SampleReward struct {
	Reward    float64
	PassRate  float64 // fraction of tests passed (rule rewards; −1 when not executed)
	AllPassed bool
}

// RewardItem is one completion to reward.
type RewardItem struct {
	Prompt     *Prompt
	Completion string
}

// Rewarder scores completions. A streaming rewarder is called once per
// sample as soon as it finishes generating (execution overlaps
// generation); a batch rewarder once with every sample of the rollout.
type Rewarder interface {
	Reward(ctx context.Context, items []RewardItem) ([]SampleReward, error)
	Streaming() bool
}

// JobRunner executes sandbox jobs: a *rewards.Runner in process, or a
// queue of execution workers (queue.ExecQueue).
type JobRunner interface {
	Run(ctx context.Context, jobs []rewards.Job) ([]rewards.Result, error)
}

// RuleRewarder executes the program extracted from a completion against
// the prompt's tests in the sandbox: pass rate or all-pass, plus Bonus
// when every test passes (rewards.ServedReward). A completion with no
// parsable program, or one that times out, simply fails its tests.
type RuleRewarder struct {
	Runner     JobRunner
	Kind       rewards.RewardKind
	Bonus      float64       // added when every test passes (the fork's reward server: 0.5)
	StripThink bool          // drop <think>…</think> before extracting the program
	Timeout    time.Duration // per test
}

// Streaming is true: execution starts while other samples generate.
func (RuleRewarder) Streaming() bool { return true }

// Reward runs every item's program (concurrently, bounded by the runner).
func (r RuleRewarder) Reward(ctx context.Context, items []RewardItem) ([]SampleReward, error) {
	jobs := make([]rewards.Job, len(items))
	for i, it := range items {
		entry := ""
		if len(it.Prompt.Tests) > 0 {
			entry = extract.EntryFromTests(it.Prompt.Tests)
		}
		c := it.Completion
		if r.StripThink {
			c = rewards.StripThink(c)
		}
		jobs[i] = rewards.Job{ID: it.Prompt.ID, Program: extract.Program(c, entry), Tests: it.Prompt.Tests, Timeout: r.Timeout}
	}
	res, err := r.Runner.Run(ctx, jobs)
	if err != nil {
		return nil, err
	}
	out := make([]SampleReward, len(items))
	for i, re := range res {
		out[i] = SampleReward{Reward: rewards.ServedReward(re, r.Kind, r.Bonus), PassRate: re.PassRate, AllPassed: re.AllPassed}
	}
	return out, nil
}

// RMRewarder scores (question, completion) with a reward model, the
// AceCode-RM reward of the paper's Table 3. Tests, when the prompt has
// them, are still executed for the logs (not for the reward) if Runner is
// set.
type RMRewarder struct {
	RM     *rewards.RewardModel
	Runner *RuleRewarder // optional: log pass rates too
}

// Streaming is false: the reward model scores the whole rollout at once.
func (RMRewarder) Streaming() bool { return false }

// Reward scores every item with the reward model.
func (r RMRewarder) Reward(ctx context.Context, items []RewardItem) ([]SampleReward, error) {
	prompts, responses := make([]string, len(items)), make([]string, len(items))
	for i, it := range items {
		prompts[i], responses[i] = it.Prompt.Question, it.Completion
	}
	scores, err := r.RM.ScorePairs(ctx, prompts, responses)
	if err != nil {
		return nil, err
	}
	out := make([]SampleReward, len(items))
	for i, s := range scores {
		out[i] = SampleReward{Reward: float64(s), PassRate: -1}
	}
	if r.Runner != nil {
		rule, err := r.Runner.Reward(ctx, items)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].PassRate, out[i].AllPassed = rule[i].PassRate, rule[i].AllPassed
		}
	}
	return out, nil
}

// newRewarder builds the rewarder of cfg.reward: rule, rm (a reward model
// directory) or remote (reward servers). text renders remote queries.
func newRewarder(ctx context.Context, cfg configs.Policy, b compute.Backend, runner JobRunner, text policy.Text) (Rewarder, error) {
	kind, err := rewards.ParseRewardKind(cfg.RuleReward)
	if err != nil {
		return nil, err
	}
	rule := RuleRewarder{Runner: runner, Kind: kind, Bonus: cfg.AllPassBonus, StripThink: cfg.StripThink, Timeout: cfg.ExecTimeout}
	switch cfg.Reward {
	case "rule":
		return rule, nil
	case "remote":
		urls, err := configs.RemoteURLs(cfg.RemoteURL)
		if err != nil {
			return nil, fmt.Errorf("trainer: remote_rm_url: %w", err)
		}
		return &RemoteRewarder{URLs: urls, Text: text, Labels: cfg.RemoteLabels, Timeout: cfg.RemoteTime, Retries: cfg.RemoteRetry}, nil
	}
	rm, err := rewards.LoadRM(ctx, b, cfg.RewardModel, rewards.RMLoadOptions{Seed: uint64(cfg.Seed)})
	if err != nil {
		return nil, err
	}
	return RMRewarder{RM: rm, Runner: &rule}, nil
}
