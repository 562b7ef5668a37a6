package policy

// Qwen3 (transformers' Qwen3ForCausalLM): Llama's attention_bias on q, k, v
// and o (off in released checkpoints), and an RMSNorm over each head of q
// and of k before RoPE (self_attn.q_norm / k_norm, weights [head_dim]).
// head_dim is given explicitly and need not be hidden_size / heads.
func init() {
	architectures["qwen3"] = Architecture{
		QKVBias: func(c *Config) bool { return c.AttentionBias },
		OBias:   func(c *Config) bool { return c.AttentionBias },
		QKNorm:  true,
	}
}
