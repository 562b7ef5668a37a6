package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Config mirrors the fields of a Hugging Face config.json that the decoder
// uses. Fields the decoder does not know are kept in Extra and written back
// unchanged by Marshal, so a saved directory keeps everything it was loaded
// with.
type Config struct {
	ModelType         string `json:"model_type"`        // a registered Architecture: "qwen2", "llama", "qwen3"
	HiddenSize        int    `json:"hidden_size"`       // model width D
	IntermediateSize  int    `json:"intermediate_size"` // SwiGLU width
	NumHiddenLayers   int    `json:"num_hidden_layers"`
	NumAttentionHeads int    `json:"num_attention_heads"`
	NumKeyValueHeads  int    `json:"num_key_value_heads,omitempty"` // grouped-query attention; 0 means NumAttentionHeads
	// HeadDim is optional in config.json; 0 means HiddenSize / NumAttentionHeads.
	HeadDim               int          `json:"head_dim,omitempty"`
	VocabSize             int          `json:"vocab_size"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings,omitempty"`
	// AttentionBias is Llama's and Qwen3's flag for q/k/v/o biases; Qwen2
	// always has q/k/v biases and no o_proj bias, whatever this says.
	AttentionBias    bool     `json:"attention_bias"`
	TorchDType       string   `json:"torch_dtype,omitempty"` // "float32", "bfloat16", "float16"
	InitializerRange float64  `json:"initializer_range,omitempty"`
	HiddenAct        string   `json:"hidden_act,omitempty"` // must be "silu" when set
	BOSTokenID       *int     `json:"bos_token_id,omitempty"`
	EOSTokenID       IDList   `json:"eos_token_id,omitempty"`
	PadTokenID       *int     `json:"pad_token_id,omitempty"`
	Architectures    []string `json:"architectures,omitempty"`

	// Extra holds every other top-level key of config.json, verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// RopeScaling is config.json's rope_scaling. Supported types: "default"
// (none), "linear" and "llama3" (Llama 3.1).
type RopeScaling struct {
	RopeType                      string  `json:"rope_type,omitempty"`
	Type                          string  `json:"type,omitempty"` // older spelling of rope_type
	Factor                        float64 `json:"factor,omitempty"`
	LowFreqFactor                 float64 `json:"low_freq_factor,omitempty"`
	HighFreqFactor                float64 `json:"high_freq_factor,omitempty"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings,omitempty"`
	// Extra holds other keys (e.g. mrope_section), written back unchanged.
	Extra map[string]json.RawMessage `json:"-"`
}

type ropeScalingFields RopeScaling // without methods, for plain (un)marshalling

// UnmarshalJSON keeps keys it does not know in Extra.
func (r *RopeScaling) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*ropeScalingFields)(r)); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for _, k := range []string{"rope_type", "type", "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"} {
		delete(all, k)
	}
	if len(all) > 0 {
		r.Extra = all
	}
	return nil
}

// MarshalJSON writes the known fields over the preserved unknown ones.
func (r RopeScaling) MarshalJSON() ([]byte, error) {
	known, err := json.Marshal(ropeScalingFields(r))
	if err != nil || len(r.Extra) == 0 {
		return known, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(known, &out); err != nil {
		return nil, err
	}
	for k, v := range r.Extra {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return json.Marshal(out)
}

// Kind returns rope_type, falling back to the older "type" key.
func (r *RopeScaling) Kind() string {
	if r == nil {
		return "default"
	}
	if r.RopeType != "" {
		return r.RopeType
	}
	if r.Type != "" {
		return r.Type
	}
	return "default"
}

// IDList is a token id or a list of them (eos_token_id may be either).
type IDList []int

// UnmarshalJSON accepts a number, a list of numbers or null.
func (l *IDList) UnmarshalJSON(b []byte) error {
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*l = IDList{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a token id or a list of ids: %w", err)
	}
	*l = many
	return nil
}

// MarshalJSON writes a single id as a number, several as a list.
func (l IDList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]int(l))
}

// KVHeads is the number of key/value heads.
func (c *Config) KVHeads() int {
	if c.NumKeyValueHeads == 0 {
		return c.NumAttentionHeads
	}
	return c.NumKeyValueHeads
}

// HeadDimension is head_dim or hidden_size / num_attention_heads.
func (c *Config) HeadDimension() int {
	if c.HeadDim != 0 {
		return c.HeadDim
	}
	if c.NumAttentionHeads == 0 {
		return 0
	}
	return c.HiddenSize / c.NumAttentionHeads
}

// Validate reports every invalid field at once, each error naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, ok := architectures[c.ModelType]; !ok {
		bad("model_type", "%q is not supported (want one of %s)", c.ModelType, modelTypes())
	}
	for _, f := range []struct {
		key string
		v   int
	}{
		{"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"vocab_size", c.VocabSize},
	} {
		if f.v <= 0 {
			bad(f.key, "must be positive, got %d", f.v)
		}
	}
	if c.NumKeyValueHeads < 0 || (c.NumAttentionHeads > 0 && c.KVHeads() > 0 && c.NumAttentionHeads%c.KVHeads() != 0) {
		bad("num_key_value_heads", "%d must divide num_attention_heads %d", c.NumKeyValueHeads, c.NumAttentionHeads)
	}
	if hd := c.HeadDimension(); hd <= 0 || hd%2 != 0 {
		bad("head_dim", "%d must be positive and even", hd)
	} else if c.HeadDim == 0 && c.HiddenSize%c.NumAttentionHeads != 0 {
		bad("hidden_size", "%d is not divisible by num_attention_heads %d (set head_dim)", c.HiddenSize, c.NumAttentionHeads)
	}
	if !(c.RMSNormEps > 0) {
		bad("rms_norm_eps", "must be positive, got %g", c.RMSNormEps)
	}
	if !(c.RopeTheta > 0) {
		bad("rope_theta", "must be positive, got %g", c.RopeTheta)
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		bad("hidden_act", "%q is not supported (want silu)", c.HiddenAct)
	}
	switch c.TorchDType {
	case "", "float32", "bfloat16", "float16":
	default:
		bad("torch_dtype", "%q is not supported (want float32, bfloat16 or float16)", c.TorchDType)
	}
	if raw, ok := c.Extra["use_sliding_window"]; ok && strings.TrimSpace(string(raw)) == "true" {
		bad("use_sliding_window", "sliding-window attention is not supported")
	}
	errs = append(errs, c.validateRope()...)
	return errors.Join(errs...)
}

func (c *Config) validateRope() []error {
	r := c.RopeScaling
	switch r.Kind() {
	case "default":
		return nil
	case "linear":
		if !(r.Factor > 0) {
			return []error{fmt.Errorf("config: rope_scaling.factor: must be positive, got %g", r.Factor)}
		}
		return nil
	case "llama3":
		var errs []error
		if !(r.Factor > 0) {
			errs = append(errs, fmt.Errorf("config: rope_scaling.factor: must be positive, got %g", r.Factor))
		}
		if !(r.LowFreqFactor > 0) || !(r.HighFreqFactor > r.LowFreqFactor) {
			errs = append(errs, fmt.Errorf("config: rope_scaling.low_freq_factor/high_freq_factor: need 0 < low < high, got %g, %g", r.LowFreqFactor, r.HighFreqFactor))
		}
		if r.OriginalMaxPositionEmbeddings <= 0 {
			errs = append(errs, fmt.Errorf("config: rope_scaling.original_max_position_embeddings: must be positive, got %d", r.OriginalMaxPositionEmbeddings))
		}
		return errs
	}
	return []error{fmt.Errorf("config: rope_scaling.rope_type: %q is not supported (want default, linear or llama3)", r.Kind())}
}

// ParseConfig decodes config.json bytes, keeping unknown keys, and validates.
func ParseConfig(data []byte) (*Config, error) {
	c := &Config{}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for _, k := range knownKeys() {
		delete(all, k)
	}
	c.Extra = all
	if len(c.Extra) == 0 {
		c.Extra = nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfig reads and validates a config.json file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Marshal renders config.json: the known fields over the preserved Extra keys.
func (c *Config) Marshal() ([]byte, error) {
	type plain Config // drops methods, so no recursion
	cp := *c
	cp.NumKeyValueHeads = c.KVHeads() // explicit, as transformers would default it differently
	known, err := json.Marshal((*plain)(&cp))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(known, &out); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for k, v := range c.Extra {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return append(js, '\n'), nil
}

// knownKeys lists the JSON keys of Config's tagged fields.
func knownKeys() []string {
	return []string{"model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
		"num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "rms_norm_eps",
		"rope_theta", "rope_scaling", "tie_word_embeddings", "max_position_embeddings",
		"attention_bias", "torch_dtype", "initializer_range", "hidden_act", "bos_token_id",
		"eos_token_id", "pad_token_id", "architectures"}
}

// String is a one-line summary for logs.
func (c *Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s d=%d L=%d heads=%d/%d head_dim=%d ff=%d vocab=%d tied=%v",
		c.ModelType, c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.KVHeads(),
		c.HeadDimension(), c.IntermediateSize, c.VocabSize, c.TieWordEmbeddings)
	return b.String()
}
