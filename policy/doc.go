// Package policy owns the decoder language model: Qwen2/Llama-compatible
// architectures on GoMLX (one architecture per file), loading and saving
// Hugging Face model directories, and the forward modes the rest of the
// system needs (full logits, per-token log-probs, last-token hidden state,
// incremental KV-cache steps). Tokenizer and chat template live in the
// subpackages tokenizer and chat.
package policy
