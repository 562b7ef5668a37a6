package policy

// Llama (transformers' LlamaForCausalLM, incl. Llama 3.1's rope_scaling
// "llama3"): attention_bias puts biases on q, k, v and o.
func init() {
	architectures["llama"] = Architecture{
		QKVBias: func(c *Config) bool { return c.AttentionBias },
		OBias:   func(c *Config) bool { return c.AttentionBias },
	}
}
