package configs

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Policy is the config of train-policy: Reinforce++ (or a variant) from a
// policy model with rule (test pass rate) or reward-model rewards. Key names
// follow OpenRLHF's flags; defaults are the AceCoder recipe.
type Policy struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`
	Optim Optim `mapstructure:"optim"`

	Reward       string        `mapstructure:"reward" help:"reward source: rule (execute the tests) | rm (reward model score) | remote (reward servers at remote_rm_url)"`
	RuleReward   string        `mapstructure:"rule_reward" help:"rule reward: pass_rate (fraction of tests passed) | binary (1 iff all pass)"`
	AllPassBonus float64       `mapstructure:"all_pass_bonus" help:"added to the rule reward of a program that passes every test (the AceCoder fork's reward server adds 0.5)"`
	StripThink   bool          `mapstructure:"strip_think" help:"remove <think>…</think> from completions before extracting the program (R1-style policies)"`
	RewardModel  string        `mapstructure:"reward_pretrain" path:"in" help:"reward model directory (for reward=rm)"`
	RemoteURL    string        `mapstructure:"remote_rm_url" help:"reward server URLs for reward=remote, comma-separated (each gets an equal share of a rollout's samples; OpenRLHF's rule: prefix is accepted)"`
	RemoteLabels bool          `mapstructure:"remote_rm_labels" help:"also send each sample's prompt and tests (OpenRLHF's prompts and labels); the AceCoder fork sends the rendered query alone"`
	RemoteTime   time.Duration `mapstructure:"remote_rm_timeout" help:"time limit of one reward request"`
	RemoteRetry  int           `mapstructure:"remote_rm_retries" help:"retries of a failed reward request (timeouts, transport errors, 429 and 5xx), with doubling back-off from 1s"`
	PromptData   []string      `mapstructure:"prompt_data" path:"in" help:"AceCode-87K-style rows (question or context_messages, test_cases), JSONL or Parquet"`
	Estimator    string        `mapstructure:"advantage_estimator" help:"reinforce (Reinforce++) | reinforce_baseline | rloo | grpo (also named group_norm)"`
	LossAgg      string        `mapstructure:"loss_agg" help:"policy loss aggregation: token_mean (over every token of a micro-batch, as the AceCoder fork's packed samples give) | seq_mean_token_mean (token mean per sequence, then mean over sequences)"`
	KLEstimator  string        `mapstructure:"kl_estimator" help:"per-token KL estimate: k1 (log ratio) | k3"`
	UseKLLoss    bool          `mapstructure:"use_kl_loss" help:"put the KL penalty in the loss instead of the reward"`
	DropUniform  bool          `mapstructure:"drop_uniform_groups" help:"drop prompts whose samples all got the same reward from the update"`
	ExecTimeout  time.Duration `mapstructure:"exec_timeout" help:"time limit per test when executing programs"`
	ExecWorkers  int           `mapstructure:"exec_workers" help:"sandboxed Python workers; 0 means one per core"`
	NATS         string        `mapstructure:"nats" help:"external NATS URL for execution workers; empty starts an embedded queue"`

	SamplesPerPrompt int       `mapstructure:"n_samples_per_prompt" help:"completions sampled per prompt"`
	RolloutBatchSize int       `mapstructure:"rollout_batch_size" help:"prompts per rollout"`
	TrainBatchSize   int       `mapstructure:"train_batch_size" help:"samples per optimiser step"`
	MicroBatchSize   int       `mapstructure:"micro_train_batch_size" help:"samples per forward/backward (gradient accumulation)"`
	MaxEpochs        int       `mapstructure:"max_epochs" help:"passes over each rollout's samples"`
	NumEpisodes      int       `mapstructure:"num_episodes" help:"passes over the prompt data"`
	MaxSteps         int       `mapstructure:"max_steps" help:"stop after this many rollouts; 0 means as many as the episodes give"`
	InitKLCoef       float64   `mapstructure:"init_kl_coef" help:"KL coefficient beta (fixed)"`
	EpsClip          float64   `mapstructure:"eps_clip" help:"PPO ratio clip epsilon"`
	Gamma            float64   `mapstructure:"gamma" help:"discount of the per-token return"`
	RewardClipRange  []float64 `mapstructure:"reward_clip_range" help:"sequence rewards are clipped to [lo, hi]"`
	NormalizeReward  bool      `mapstructure:"normalize_reward" help:"z-score the sequence rewards by the running mean and std of every reward of the run so far (the first rollout: its own), before the baseline and clipping, so init_kl_coef weighs the KL against a reward of unit scale (a reward model's scores have none)"`
	RescoreOld       bool      `mapstructure:"rescore_old_logprobs" help:"score log π_old with a full forward pass after sampling (OpenRLHF's way) instead of reusing the sampler's log-probs of the same tokens"`
	Temperature      float64   `mapstructure:"temperature" help:"sampling temperature"`
	TopP             float64   `mapstructure:"top_p" help:"nucleus sampling mass; 1 disables"`
	TopK             int       `mapstructure:"top_k" help:"sample among the k most likely tokens; 0 disables"`
	PromptMaxLen     int       `mapstructure:"prompt_max_len" help:"prompts longer than this many tokens are skipped"`
	GenerateMaxLen   int       `mapstructure:"generate_max_len" help:"new tokens per completion"`

	SaveSteps int    `mapstructure:"save_steps" help:"checkpoint every this many rollouts; 0 only at the end"`
	KeepLast  int    `mapstructure:"keep_last" help:"checkpoints to keep"`
	Resume    string `mapstructure:"resume" path:"in,except=latest" help:"'' (fresh), 'latest' or a checkpoint directory"`
	EvalData  string `mapstructure:"eval_data" path:"in" help:"held-out tasks for greedy pass@1 during training (optional)"`
	EvalSteps int    `mapstructure:"eval_steps" help:"evaluate every this many rollouts; 0 only at the end"`
}

// DefaultPolicy returns the AceCoder / OpenRLHF Reinforce++ settings.
func DefaultPolicy() Policy {
	return Policy{
		Run: DefaultRun("policy"),
		Optim: Optim{LearningRate: 5e-7, WarmupRatio: 0.03, MinLRRatio: 0.1, Scheduler: "cosine",
			AdamBetas: []float64{0.9, 0.95}, WeightDecay: 0, MaxNorm: 1.0},
		Reward: "rule", RuleReward: "pass_rate", Estimator: "reinforce", KLEstimator: "k1", LossAgg: "seq_mean_token_mean",
		RemoteTime: 180 * time.Second, RemoteRetry: 4,
		ExecTimeout:      4 * time.Second,
		SamplesPerPrompt: 8, RolloutBatchSize: 128, TrainBatchSize: 128, MicroBatchSize: 4,
		MaxEpochs: 1, NumEpisodes: 1, InitKLCoef: 0.01, EpsClip: 0.2, Gamma: 1.0,
		RewardClipRange: []float64{-10, 10}, Temperature: 1.0, TopP: 1.0,
		PromptMaxLen: 1024, GenerateMaxLen: 1024, SaveSteps: 10, KeepLast: 3,
	}
}

// InputUsed reports whether the run reads the input of key: the reward
// model only with reward: rm.
func (c *Policy) InputUsed(key string) bool {
	return key != "reward_pretrain" || c.Reward == "rm"
}

// Validate reports every invalid key.
func (c *Policy) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	errs = c.Optim.validate(errs, "optim")
	errs = oneOf(errs, "reward", c.Reward, "rule", "rm", "remote")
	errs = oneOf(errs, "rule_reward", c.RuleReward, "pass_rate", "binary")
	if c.Reward == "rm" && c.RewardModel == "" {
		errs = append(errs, keyErr("reward_pretrain", "reward=rm needs a reward model directory"))
	}
	if _, err := RemoteURLs(c.RemoteURL); c.Reward == "remote" && err != nil {
		errs = append(errs, keyErr("remote_rm_url", "reward=remote: %v", err))
	}
	if c.RemoteTime <= 0 {
		errs = append(errs, keyErr("remote_rm_timeout", "must be > 0, got %s", c.RemoteTime))
	}
	if c.RemoteRetry < 0 {
		errs = append(errs, keyErr("remote_rm_retries", "must be ≥ 0, got %d", c.RemoteRetry))
	}
	errs = inRange(errs, "all_pass_bonus", c.AllPassBonus, -100, 100)
	errs = oneOf(errs, "loss_agg", c.LossAgg, "token_mean", "seq_mean_token_mean")
	if len(c.PromptData) == 0 {
		errs = append(errs, keyErr("prompt_data", "at least one prompt file is needed"))
	}
	errs = oneOf(errs, "advantage_estimator", c.Estimator, "reinforce", "reinforce_baseline", "rloo", "grpo", "group_norm")
	errs = oneOf(errs, "kl_estimator", c.KLEstimator, "k1", "k3")
	if c.ExecTimeout <= 0 {
		errs = append(errs, keyErr("exec_timeout", "must be > 0, got %s", c.ExecTimeout))
	}
	errs = positive(errs, "n_samples_per_prompt", c.SamplesPerPrompt)
	if c.Estimator != "reinforce" && c.SamplesPerPrompt < 2 {
		errs = append(errs, keyErr("n_samples_per_prompt", "%s needs at least 2 samples per prompt", c.Estimator))
	}
	errs = positive(errs, "rollout_batch_size", c.RolloutBatchSize)
	errs = positive(errs, "train_batch_size", c.TrainBatchSize)
	errs = positive(errs, "micro_train_batch_size", c.MicroBatchSize)
	if c.MicroBatchSize > 0 && c.TrainBatchSize%c.MicroBatchSize != 0 {
		errs = append(errs, keyErr("train_batch_size", "%d is not a multiple of micro_train_batch_size %d", c.TrainBatchSize, c.MicroBatchSize))
	}
	errs = positive(errs, "max_epochs", c.MaxEpochs)
	errs = positive(errs, "num_episodes", c.NumEpisodes)
	errs = inRange(errs, "init_kl_coef", c.InitKLCoef, 0, 100)
	errs = inRange(errs, "eps_clip", c.EpsClip, 0, 1)
	errs = inRange(errs, "gamma", c.Gamma, 0, 1)
	if len(c.RewardClipRange) != 2 || c.RewardClipRange[0] >= c.RewardClipRange[1] {
		errs = append(errs, keyErr("reward_clip_range", "want [lo, hi] with lo < hi, got %v", c.RewardClipRange))
	}
	errs = inRange(errs, "temperature", c.Temperature, 0, 100)
	errs = inRange(errs, "top_p", c.TopP, 1e-6, 1)
	errs = positive(errs, "prompt_max_len", c.PromptMaxLen)
	errs = positive(errs, "generate_max_len", c.GenerateMaxLen)
	errs = positive(errs, "keep_last", c.KeepLast)
	return errors.Join(errs...)
}

// RemoteURLs splits remote_rm_url: comma-separated http(s) URLs, each
// optionally prefixed "rule:" as OpenRLHF scripts write rule-based reward
// servers (the prefix is dropped).
func RemoteURLs(s string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimPrefix(strings.TrimSpace(u), "rule:")
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%q is not an http(s) URL", u)
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one reward server URL")
	}
	return out, nil
}
