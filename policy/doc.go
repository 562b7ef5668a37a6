// Package policy owns the decoder language model: Qwen2/Llama-compatible
// architectures on GoMLX, loading and saving Hugging Face model
// directories, and the forward modes the rest of the system needs.
// Tokenizer and chat template live in the subpackages tokenizer and chat;
// the safetensors format in safetensors.
//
// # Numerics
//
// The decoder reproduces transformers' Qwen2ForCausalLM and
// LlamaForCausalLM (incl. Llama 3.1 rope_scaling "llama3"): token
// embedding; pre-norm RMSNorm in float32; q/k/v projections (bias for
// Qwen2, attention_bias for Llama), o_proj; grouped-query attention (query
// head h uses key/value head h / (heads/kv_heads), as repeat_kv does);
// rotary embeddings in the rotate-half convention; causal attention with a
// padding mask and per-row positions; SwiGLU MLP; final norm; tied or
// untied LM head. Weights are float32 variables whatever the file dtype.
// Test: a plain float64 reference forward agrees within 1e-4 relative.
//
// # Graph level (trainers, rollout, reward models)
//
// Decoder's methods build GoMLX graphs and panic on error (GoMLX style);
// call them inside a model.Exec on Model.Store, after VariablesAsParameters
// (and ForGradients in graphs that differentiate). Inputs are ids [B,S]
// int32, positions [B,S] int32 and mask [B,S] (1 = real token):
//
//   - Decoder.Logits → [B,S,V]; Decoder.Hidden → [B,S,D] (after final norm);
//     Decoder.Head maps hidden to logits.
//   - Decoder.Layer is the one implementation of a block (decoder.go); the
//     full forward, the sampler's prefill and its decode step (package
//     rollout) all call it, with their own attention (AttendFn) and, for
//     the sampler, stacked weight copies (Stacked).
//   - TokenLogProbs(logits, targets, mask) → [B,S]; Decoder.TemperedLogProbs
//     and NextTokenLogProbs (and ShiftedLogProbs) score ids[b,s] given its
//     prefix, aligned with ids, 0 where not scorable; ShiftedMask marks the
//     scored positions.
//   - LastHidden(hidden, mask) → [B,D], the last real token of each row (left
//     or right padding), for the reward model's value head.
//   - MaskBeyondVocab(logits, n) sets ids ≥ n (embedding rows the tokenizer
//     never produces) to −inf before sampling.
//   - Decoder.LMLoss is next-token cross-entropy.
//
// docs/platform.md explains the layouts the graphs use on the go backend.
//
// Training: every weight is a trainable variable of Model.Store under the
// decoder's scope (Options.ScopePath; HF name "model.norm.weight" is the
// variable "<scope>/model/norm/weight", see VariablePath). The trainers
// build a loss from the functions above and differentiate it; extra
// parameters such as a value head can live in another scope of the same
// store.
//
// # Host level (tests, tools, evaluation)
//
// New (seeded random init), Load / Model.LoadWeights / Model.Save (HF
// directories: config.json with unknown keys kept, model.safetensors or
// shards + index, F32/BF16/F16, tokenizer files copied), and compiled
// executors cached per input shape: Model.Logits, Hidden,
// NextTokenLogProbs, TemperedLogProbs, LastHidden, SequenceLogits. LeftPad
// builds a Batch from sequences of different lengths.
//
// Loading is strict: a missing, unexpected or mis-shaped tensor fails with a
// *LoadError listing all of them.
package policy
