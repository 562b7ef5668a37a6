package configs

import "errors"

// Model says where a model's weights, architecture and tokenizer come from.
type Model struct {
	Path         string `mapstructure:"path" path:"in" help:"Hugging Face model directory (config.json, safetensors, tokenizer files) to start from"`
	InitConfig   string `mapstructure:"init_config" path:"in" help:"config.json of a randomly initialised model (used when path is empty; tiny models for tests and the demo)"`
	Tokenizer    string `mapstructure:"tokenizer" path:"in" help:"tokenizer.json or a directory holding it; empty means the model directory"`
	ChatTemplate string `mapstructure:"chat_template" path:"in,except=plain" help:"chat template: empty uses tokenizer_config.json's, 'plain' a ChatML fallback, or a .jinja file"`
	// LoRA: a PEFT adapter directory on top of the model, or fresh adapters
	// to train (the base then stays frozen).
	Adapter       string   `mapstructure:"adapter" path:"in" help:"PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors) applied on top of the model"`
	LoRARank      int      `mapstructure:"lora_rank" help:"train LoRA adapters of this rank on a frozen base; 0 trains every weight"`
	LoRAAlpha     float64  `mapstructure:"lora_alpha" help:"LoRA scale numerator: updates are scaled by lora_alpha / lora_rank"`
	TargetModules []string `mapstructure:"target_modules" help:"projections that get adapters (q_proj k_proj v_proj o_proj gate_proj up_proj down_proj); empty means all"`
	// GradientCheckpointing trades compute for memory in training.
	GradientCheckpointing bool `mapstructure:"gradient_checkpointing" help:"recompute each layer's activations in the backward pass instead of keeping them (less memory, one more forward pass)"`
}

// Validate checks that a model source is given.
func (m Model) Validate(section string) error {
	var errs []error
	if m.Path == "" && m.InitConfig == "" {
		errs = append(errs, keyErr(section+".path", "give a model directory (or %s.init_config for a random model)", section))
	}
	if m.LoRARank < 0 {
		errs = append(errs, keyErr(section+".lora_rank", "%d must be 0 (no adapters) or positive", m.LoRARank))
	}
	if m.LoRARank > 0 && !(m.LoRAAlpha > 0) {
		errs = append(errs, keyErr(section+".lora_alpha", "%g must be positive with lora_rank %d", m.LoRAAlpha, m.LoRARank))
	}
	if m.LoRARank > 0 && m.Adapter != "" {
		errs = append(errs, keyErr(section+".adapter", "give either an adapter directory or lora_rank for fresh adapters, not both"))
	}
	modules := []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
	for _, t := range m.TargetModules {
		errs = oneOf(errs, section+".target_modules", t, modules...)
	}
	return errors.Join(errs...)
}

// Optim holds the optimiser and schedule keys shared by the trainers.
type Optim struct {
	LearningRate float64   `mapstructure:"learning_rate" help:"peak learning rate of AdamW"`
	WarmupRatio  float64   `mapstructure:"lr_warmup_ratio" help:"fraction of the steps spent in linear warm-up"`
	MinLRRatio   float64   `mapstructure:"min_lr_ratio" help:"cosine decays to this fraction of the peak learning rate"`
	Scheduler    string    `mapstructure:"lr_scheduler" help:"learning-rate schedule: cosine | constant"`
	AdamBetas    []float64 `mapstructure:"adam_betas" help:"AdamW (beta1, beta2)"`
	WeightDecay  float64   `mapstructure:"weight_decay" help:"AdamW decoupled weight decay"`
	MaxNorm      float64   `mapstructure:"max_norm" help:"clip gradients to this global L2 norm; 0 disables"`
}

func (o Optim) validate(errs []error, section string) []error {
	errs = positive(errs, section+".learning_rate", o.LearningRate)
	errs = inRange(errs, section+".lr_warmup_ratio", o.WarmupRatio, 0, 1)
	errs = inRange(errs, section+".min_lr_ratio", o.MinLRRatio, 0, 1)
	errs = oneOf(errs, section+".lr_scheduler", o.Scheduler, "cosine", "constant")
	if len(o.AdamBetas) != 2 {
		errs = append(errs, keyErr(section+".adam_betas", "want two numbers"))
	}
	return inRange(errs, section+".max_norm", o.MaxNorm, 0, 1e9)
}
