package policy

import (
	"slices"
	"strings"

	"maps"
)

// Architecture is what differs between the decoder families the package
// runs. Each family is one file (arch_qwen2.go, arch_llama.go,
// arch_qwen3.go) that registers its Architecture under its config.json
// model_type; the block in decoder.go, the parameter list in params.go and
// the loader read it from here.
type Architecture struct {
	// QKVBias and OBias tell whether the q/k/v and o projections of a
	// config have biases.
	QKVBias, OBias func(c *Config) bool
	// QKNorm is an RMSNorm over each head of q and of k, before RoPE, with
	// weights self_attn.q_norm.weight and self_attn.k_norm.weight [head_dim].
	QKNorm bool
}

// architectures maps model_type to its Architecture; filled by init
// functions of the arch_*.go files.
var architectures = map[string]Architecture{}

// architecture returns the config's family (the zero value when unknown;
// Validate reports that).
func (c *Config) architecture() Architecture {
	a := architectures[c.ModelType]
	if a.QKVBias == nil {
		a.QKVBias = func(*Config) bool { return false }
	}
	if a.OBias == nil {
		a.OBias = func(*Config) bool { return false }
	}
	return a
}

// modelTypes lists the registered model_type values, sorted.
func modelTypes() string {
	return strings.Join(slices.Sorted(maps.Keys(architectures)), ", ")
}

// QKVBias tells whether the q/k/v projections have biases.
func (c *Config) QKVBias() bool { return c.architecture().QKVBias(c) }

// OBias tells whether o_proj has a bias.
func (c *Config) OBias() bool { return c.architecture().OBias(c) }

// QKNorm tells whether queries and keys are RMS-normalised per head.
func (c *Config) QKNorm() bool { return c.architecture().QKNorm }
