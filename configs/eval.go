package configs

import (
	"errors"
	"time"
)

// Eval is the config of `acecoder eval`: greedy pass@1 and sampled pass@k
// of a policy on a benchmark file.
type Eval struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`

	Bench          string        `mapstructure:"bench" path:"in" help:"benchmark file: HumanEval (prompt/entry_point/test), MBPP (text/test_list) or AceCode (question/test_cases) JSONL(.gz)"`
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

// DefaultEval returns greedy pass@1 only, on the CPU.
func DefaultEval() Eval {
	return Eval{Run: DefaultRun("eval"), N: []int{0}, K: []int{1}, Temperature: 0.8, TopP: 1,
		GenerateMaxLen: 512, BatchSize: 32, ExecTimeout: 4 * time.Second}
}

// Validate reports every invalid key.
func (c *Eval) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	if c.Bench == "" {
		errs = append(errs, keyErr("bench", "a benchmark file is needed"))
	}
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
	if c.RewardModel == "" {
		errs = append(errs, keyErr("reward_pretrain", "a reward model directory is needed"))
	}
	return errors.Join(errs...)
}
