package configs

import (
	"errors"
	"strings"
	"time"
)

// Eval is the config of `acecoder eval`: greedy pass@1 and sampled pass@k
// of a policy on a benchmark file.
type Eval struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`

	Bench          string        `mapstructure:"bench" path:"in" help:"benchmark file, JSONL(.gz): HumanEval, MBPP, HumanEvalPlus/MbppPlus (base_input/plus_input), BigCodeBench, LiveCodeBench, APPS, CodeContests or AceCode rows"`
	Samples        string        `mapstructure:"samples" path:"in" help:"grade this samples file (evalplus's task_id + solution or completion, or AceCode rows) against bench instead of generating: no model is loaded"`
	PromptStyle    string        `mapstructure:"prompt_style" help:"evalplus (evalplus's instruction prompt and response prefix in the chat template, as the paper evaluates) | completion (the task prompt as is, for base models) | project (this project's chat prompt)"`
	Overwrite      bool          `mapstructure:"overwrite" help:"replace the outputs of an earlier run in out_dir (without it such a directory is refused)"`
	Limit          int           `mapstructure:"limit" help:"evaluate only the first this many tasks; 0 means all"`
	N              []int         `mapstructure:"n" help:"eval: samples per task for pass@k (0 disables sampling); bon: the N of each RM@N column"`
	K              []int         `mapstructure:"k" help:"eval: the k of each pass@k (k <= n)"`
	Temperature    float64       `mapstructure:"temperature" help:"sampling temperature of the N samples"`
	TopP           float64       `mapstructure:"top_p" help:"nucleus sampling mass of the N samples"`
	GenerateMaxLen int           `mapstructure:"generate_max_len" help:"new tokens per completion"`
	BatchSize      int           `mapstructure:"batch_size" help:"sequences decoded together"`
	ExecTimeout    time.Duration `mapstructure:"exec_timeout" help:"time limit per test"`
	ExecWorkers    int           `mapstructure:"exec_workers" help:"sandboxed Python workers; 0 means one per core"`
}

// DefaultEval returns greedy pass@1 only, with evalplus's prompt and
// generation settings (768 new tokens; temperature 0.8 for samples), on
// the CPU.
func DefaultEval() Eval {
	return Eval{Run: DefaultRun("eval"), N: []int{0}, K: []int{1}, Temperature: 0.8, TopP: 1,
		GenerateMaxLen: 768, BatchSize: 32, ExecTimeout: 4 * time.Second, PromptStyle: "evalplus"}
}

// Validate reports every invalid key.
func (c *Eval) Validate() error {
	errs := []error{c.Run.Validate()}
	if c.Samples == "" {
		errs = append(errs, c.Model.Validate("model"))
	}
	if c.Bench == "" {
		errs = append(errs, keyErr("bench", "a benchmark file is needed"))
	}
	if c.Limit < 0 {
		errs = append(errs, keyErr("limit", "must be >= 0, got %d", c.Limit))
	}
	for _, k := range c.K {
		if k <= 0 {
			errs = append(errs, keyErr("k", "values must be > 0, got %d", k))
		}
	}
	errs = oneOf(errs, "prompt_style", c.PromptStyle, "evalplus", "completion", "project")
	for _, n := range c.N {
		if n < 0 {
			errs = append(errs, keyErr("n", "values must be >= 0, got %d", n))
		}
	}
	errs = inRange(errs, "temperature", c.Temperature, 0, 100)
	errs = inRange(errs, "top_p", c.TopP, 1e-6, 1)
	errs = positive(errs, "generate_max_len", c.GenerateMaxLen)
	errs = positive(errs, "batch_size", c.BatchSize)
	if c.ExecTimeout <= 0 {
		errs = append(errs, keyErr("exec_timeout", "must be > 0, got %s", c.ExecTimeout))
	}
	return errors.Join(errs...)
}

// InputUsed reports the input keys eval reads: grading a samples file
// loads no model.
func (c *Eval) InputUsed(key string) bool {
	return c.Samples == "" || !strings.HasPrefix(key, "model.")
}

// BoN is the config of `acecoder bon`: best-of-N with a reward model, the
// paper's Table 2 (Greedy / Average / Oracle / RM@N).
type BoN struct {
	Eval        `mapstructure:",squash"`
	RewardModel string `mapstructure:"reward_pretrain" path:"in" help:"reward model directory (Hugging Face format, as train-rm writes to <run>/model)"`
}

// DefaultBoN returns RM@16 on the CPU.
func DefaultBoN() BoN {
	e := DefaultEval()
	e.Name, e.N = "bon", []int{16}
	return BoN{Eval: e}
}

// Validate reports every invalid key.
func (c *BoN) Validate() error {
	errs := []error{c.Eval.Validate()}
	if c.Samples != "" {
		errs = append(errs, keyErr("samples", "bon generates and scores its own samples"))
	}
	if c.RewardModel == "" {
		errs = append(errs, keyErr("reward_pretrain", "a reward model directory is needed"))
	}
	return errors.Join(errs...)
}
