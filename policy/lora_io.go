package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"

	"acecoder/policy/safetensors"
)

// Files of an adapter directory, as PEFT writes them.
const (
	AdapterConfigFile  = "adapter_config.json"
	AdapterWeightsFile = "adapter_model.safetensors"
	// peftPrefix starts every tensor name of a PEFT causal-LM adapter.
	peftPrefix = "base_model.model."
)

// adapterConfig is the part of PEFT's adapter_config.json this package
// reads and writes.
type adapterConfig struct {
	PEFTType      string   `json:"peft_type"`
	TaskType      string   `json:"task_type"`
	R             int      `json:"r"`
	LoRAAlpha     float64  `json:"lora_alpha"`
	LoRADropout   float64  `json:"lora_dropout"`
	TargetModules []string `json:"target_modules"`
	Bias          string   `json:"bias"`
	FanInFanOut   bool     `json:"fan_in_fan_out"`
	UseRSLoRA     bool     `json:"use_rslora"`
	UseDoRA       bool     `json:"use_dora"`
	BaseModel     string   `json:"base_model_name_or_path"`
	Inference     bool     `json:"inference_mode"`
}

// SaveAdapters writes the model's adapters in PEFT's format: dir gets
// adapter_config.json (base names the base model for PEFT's loaders) and
// adapter_model.safetensors ("base_model.model.<linear>.lora_A.weight"
// [r, in] and lora_B [out, r], float32).
func (m *Model) SaveAdapters(ctx context.Context, dir, base string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("policy: save adapters: %w", err)
	}
	js, err := m.AdapterConfigJSON(base)
	if err != nil {
		return err
	}
	ts, err := m.AdapterTensors(ctx)
	if err != nil {
		return err
	}
	if err := safetensors.Write(filepath.Join(dir, AdapterWeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("policy: save adapters: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, AdapterConfigFile), js, 0o644)
}

// AdapterConfigJSON is the adapter_config.json of the model's adapters.
func (m *Model) AdapterConfigJSON(base string) ([]byte, error) {
	l := m.Decoder.LoRA
	if l == nil {
		return nil, errors.New("policy: the model has no adapters")
	}
	targets := l.Targets
	if len(targets) == 0 {
		targets = LoRAModules
	}
	js, err := json.MarshalIndent(adapterConfig{PEFTType: "LORA", TaskType: "CAUSAL_LM", R: l.Rank, LoRAAlpha: l.Alpha,
		TargetModules: targets, Bias: "none", BaseModel: base, Inference: true}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("policy: adapter config: %w", err)
	}
	return append(js, '\n'), nil
}

// AdapterTensors are the adapter matrices under PEFT's names, streamed
// from the variables when written.
func (m *Model) AdapterTensors(ctx context.Context) ([]safetensors.Tensor, error) {
	if m.Decoder.LoRA == nil {
		return nil, errors.New("policy: the model has no adapters")
	}
	var ts []safetensors.Tensor
	for _, p := range m.AdapterParams() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := m.AdapterVariable(p.Name)
		if v == nil {
			return nil, fmt.Errorf("policy: adapter %s missing", p.Name)
		}
		ts = append(ts, safetensors.Tensor{Name: peftPrefix + p.Name, DType: safetensors.F32, Shape: p.Shape,
			Write: safetensors.Float32Writer(safetensors.F32, func(fn func([]float32)) error {
				t, err := v.Value()
				if err != nil {
					return err
				}
				return tensors.ConstFlatData(t, fn)
			})})
	}
	return ts, nil
}

// LoadAdapters reads a PEFT LoRA adapter directory into m (replacing any
// adapters it has): the config must be a plain LoRA of this package's kind
// (no DoRA, rsLoRA, fan-in-fan-out or bias adapters), and every adapter
// matrix the config implies must be in the file with its shape, nothing
// else; every problem is listed in one *LoadError, and nothing changes on
// error.
func (m *Model) LoadAdapters(ctx context.Context, dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, AdapterConfigFile))
	if err != nil {
		return fmt.Errorf("policy: adapters: %w", err)
	}
	var ac adapterConfig
	if err := json.Unmarshal(data, &ac); err != nil {
		return fmt.Errorf("policy: %s: %w", filepath.Join(dir, AdapterConfigFile), err)
	}
	if err := ac.check(); err != nil {
		return fmt.Errorf("policy: %s: %w", filepath.Join(dir, AdapterConfigFile), err)
	}
	l := LoRA{Rank: ac.R, Alpha: ac.LoRAAlpha, Targets: ac.TargetModules}
	if err := l.Validate(); err != nil {
		return fmt.Errorf("policy: %s: %w", filepath.Join(dir, AdapterConfigFile), err)
	}
	f, err := safetensors.Open(filepath.Join(dir, AdapterWeightsFile))
	if err != nil {
		return fmt.Errorf("policy: adapters: %w", err)
	}
	defer f.Close()
	prev := m.Decoder.LoRA
	m.setLoRA(&l)
	vals, err := readAdapters(ctx, dir, f, m.AdapterParams())
	if err != nil {
		m.setLoRA(prev)
		return err
	}
	for _, p := range m.AdapterParams() {
		if err := m.SetAdapter(p.Name, vals[p.Name]); err != nil {
			return err
		}
	}
	return nil
}

// check refuses PEFT options this package does not implement.
func (ac adapterConfig) check() error {
	var errs []error
	if ac.PEFTType != "LORA" {
		errs = append(errs, fmt.Errorf("peft_type: %q, want LORA", ac.PEFTType))
	}
	if ac.Bias != "" && ac.Bias != "none" {
		errs = append(errs, fmt.Errorf("bias: %q adapters are not supported (want none)", ac.Bias))
	}
	if ac.UseDoRA || ac.UseRSLoRA || ac.FanInFanOut {
		errs = append(errs, errors.New("use_dora, use_rslora and fan_in_fan_out must be false"))
	}
	return errors.Join(errs...)
}

// readAdapters checks the file against want (names with the PEFT prefix)
// and reads every matrix.
func readAdapters(ctx context.Context, dir string, f *safetensors.File, want []AdapterParam) (map[string][]float32, error) {
	le := &LoadError{Dir: dir}
	wanted := map[string]bool{}
	out := map[string][]float32{}
	for _, p := range want {
		wanted[peftPrefix+p.Name] = true
		info, ok := f.Info(peftPrefix + p.Name)
		switch {
		case !ok:
			le.Missing = append(le.Missing, peftPrefix+p.Name)
		case !slices.Equal(info.Shape, p.Shape):
			le.Misshaped = append(le.Misshaped, fmt.Sprintf("%s: file %v, model %v", peftPrefix+p.Name, info.Shape, p.Shape))
		}
	}
	for _, name := range f.Names() {
		if !wanted[name] {
			le.Unexpected = append(le.Unexpected, name)
		}
	}
	if !le.empty() {
		return nil, le
	}
	for _, p := range want {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := f.Float32(peftPrefix + p.Name)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		out[p.Name] = v
	}
	return out, nil
}

// MergeAdapters folds the adapters into the weights (W ← W + (α/r)·B·A)
// and removes them: the model then computes what it computed with them,
// as a plain Hugging Face model (Save writes it).
func (m *Model) MergeAdapters() error {
	if m.Decoder.LoRA == nil {
		return nil
	}
	merged := map[string][]float32{}
	for _, p := range m.AdapterParams() {
		if !p.IsA {
			continue
		}
		w, _, err := m.MergedWeight(p.Linear)
		if err != nil {
			return err
		}
		merged[p.Linear+".weight"] = w
	}
	for name, w := range merged {
		if err := m.setWeight(name, w); err != nil {
			return err
		}
	}
	m.setLoRA(nil)
	return nil
}
