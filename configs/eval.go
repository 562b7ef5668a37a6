package configs

import (
	"errors"
	"time"
)

// Eval is the config of `acecoder eval` (greedy pass@1, sampled pass@k) and
// `acecoder bon` (best-of-N with a reward model, Table 2 of the paper).
type Eval struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`

	RM           string        `mapstructure:"rm" help:"reward model directory (bon)"`
	Bench        string        `mapstructure:"bench" help:"benchmark file: HumanEval (prompt/entry_point/test), MBPP (text/test_list) or AceCode (question/test_cases) JSONL(.gz)"`
	Limit        int           `mapstructure:"limit" help:"evaluate only the first this many tasks; 0 means all"`
	N            []int         `mapstructure:"n" help:"eval: samples per task for pass@k (0 disables sampling); bon: the N of each RM@N column"`
	K            []int         `mapstructure:"k" help:"eval: the k of each pass@k (k <= n)"`
	Temperature  float64       `mapstructure:"temperature" help:"sampling temperature of the N samples"`
	TopP         float64       `mapstructure:"top_p" help:"nucleus sampling mass of the N samples"`
	MaxNewTokens int           `mapstructure:"max_new_tokens" help:"new tokens per completion"`
	BatchSize    int           `mapstructure:"batch_size" help:"sequences decoded together"`
	Timeout      time.Duration `mapstructure:"timeout" help:"time limit per test"`
	Workers      int           `mapstructure:"workers" help:"sandboxed Python workers; 0 means one per core"`
}

// DefaultEval returns greedy pass@1 only, on the CPU.
func DefaultEval() Eval {
	return Eval{Run: DefaultRun("eval"), N: []int{0}, K: []int{1}, Temperature: 0.8, TopP: 1,
		MaxNewTokens: 512, BatchSize: 32, Timeout: 4 * time.Second}
}

// Validate reports every invalid key.
func (c *Eval) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	if c.Bench == "" {
		errs = append(errs, errors.New(`key "bench": a benchmark file is needed`))
	}
	for _, n := range c.N {
		if n < 0 {
			errs = append(errs, errors.New(`key "n": values must be >= 0`))
		}
	}
	errs = inRange(errs, "temperature", c.Temperature, 0, 100)
	errs = inRange(errs, "top_p", c.TopP, 1e-6, 1)
	errs = positive(errs, "max_new_tokens", c.MaxNewTokens)
	errs = positive(errs, "batch_size", c.BatchSize)
	if c.Timeout <= 0 {
		errs = append(errs, errors.New(`key "timeout": must be > 0`))
	}
	return errors.Join(errs...)
}
