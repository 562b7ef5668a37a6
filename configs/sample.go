package configs

import "errors"

// Sample is the config of `acecoder sample`: N completions per prompt from a
// local model. Defaults are AceCoder's sampling settings.
type Sample struct {
	Run   `mapstructure:",squash"`
	Model Model `mapstructure:"model"`

	Prompts        string  `mapstructure:"prompts" path:"in" help:"JSONL prompts: {task_id|id, prompt|question|messages}"`
	Out            string  `mapstructure:"out" path:"out" help:"samples JSONL to write; empty means samples.jsonl in the run directory"`
	Format         string  `mapstructure:"format" help:"output rows: full (ids, log-probs, text) | evalplus (task_id, solution)"`
	Template       string  `mapstructure:"template" help:"prompt template: acecoder (self-contained-script prompt with the prefilled assistant preamble) | chat (question as the user turn) | raw"`
	N              int     `mapstructure:"n" help:"samples per prompt"`
	Temperature    float64 `mapstructure:"temperature" help:"sampling temperature; 0 is greedy"`
	TopP           float64 `mapstructure:"top_p" help:"nucleus sampling mass; 1 disables"`
	TopK           int     `mapstructure:"top_k" help:"sample among the k most likely tokens; 0 disables"`
	GenerateMaxLen int     `mapstructure:"generate_max_len" help:"new tokens per sample"`
	BatchSize      int     `mapstructure:"batch_size" help:"sequences decoded together"`
}

// DefaultSample returns AceCoder's sampling settings (n 16, temperature 0.7,
// top_p 1.0, 1024 new tokens).
func DefaultSample() Sample {
	return Sample{Run: DefaultRun("sample"), Format: "full", Template: "acecoder",
		N: 16, Temperature: 0.7, TopP: 1.0, GenerateMaxLen: 1024, BatchSize: 16}
}

// Validate reports every invalid key.
func (c *Sample) Validate() error {
	errs := []error{c.Run.Validate(), c.Model.Validate("model")}
	if c.Prompts == "" {
		errs = append(errs, keyErr("prompts", "a prompts file is needed"))
	}
	errs = oneOf(errs, "format", c.Format, "full", "evalplus")
	errs = oneOf(errs, "template", c.Template, "acecoder", "chat", "raw")
	errs = positive(errs, "n", c.N)
	errs = inRange(errs, "temperature", c.Temperature, 0, 100)
	errs = inRange(errs, "top_p", c.TopP, 1e-6, 1)
	errs = positive(errs, "generate_max_len", c.GenerateMaxLen)
	errs = positive(errs, "batch_size", c.BatchSize)
	return errors.Join(errs...)
}
