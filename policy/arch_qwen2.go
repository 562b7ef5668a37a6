package policy

// Qwen2 (transformers' Qwen2ForCausalLM): biases on q, k and v, none on o,
// whatever attention_bias says.
func init() {
	architectures["qwen2"] = Architecture{
		QKVBias: func(*Config) bool { return true },
	}
}
