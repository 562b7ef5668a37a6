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
// # Graph level (trainers, rollout)
//
// Decoder's methods build GoMLX graphs and panic on error (GoMLX style);
// call them inside a model.Exec on Model.Store. Inputs are ids [B,S] int32,
// positions [B,S] int32 and mask [B,S] (1 = real token):
//
//   - Decoder.Logits → [B,S,V]; Decoder.Hidden → [B,S,D] (after final norm);
//     Decoder.Head maps hidden to logits.
//   - TokenLogProbs(logits, targets, mask) → [B,S]; Decoder.NextTokenLogProbs
//     (and ShiftedLogProbs) score ids[b,s] given its prefix, aligned with ids,
//     0 where not scorable; ShiftedMask marks the scored positions.
//   - LastHidden(hidden, mask) → [B,D], the last real token of each row (left
//     or right padding), for the reward model's value head.
//   - Decoder.Step(ids [B,T], positions [B,T], start, kvMask [B,M], KVCache)
//     → logits [B,T,V] and the updated cache ([layers] K and V of
//     [B,KVHeads,M,HeadDim]): tokens are written at slots start..start+T−1,
//     shared by all rows; kvMask marks real slots. Prefill is a Step with
//     T = prompt width, then T = 1 per token; logits equal the full forward's.
//   - MaskBeyondVocab(logits, n) sets ids ≥ n (embedding rows the tokenizer
//     never produces) to −inf before sampling.
//   - Decoder.LMLoss is next-token cross-entropy.
//
// Training: every weight is a trainable variable of Model.Store under the
// decoder's scope (Options.ScopePath; HF name "model.norm.weight" is the
// variable "<scope>/model/norm/weight", see VariablePath). Build a loss from
// the functions above and call an optimizer's UpdateGraph (e.g.
// optimizer.Adam().WeightDecay(wd).Done() for AdamW) or
// Scope.BuildTrainableVariablesGradientsGraph for the gradients; extra
// parameters such as a value head can live in another scope of the same
// store. LMTrainer is such a step for next-token training.
//
// # Host level (tests, tools, evaluation)
//
// New (seeded random init), Load / Model.LoadWeights / Model.Save (HF
// directories: config.json with unknown keys kept, model.safetensors or
// shards + index, F32/BF16/F16, tokenizer files copied), and compiled
// executors cached per input shape: Model.Logits, Hidden,
// NextTokenLogProbs, LastHidden, SequenceLogits, NewCache + Step. LeftPad
// builds a Batch from sequences of different lengths.
//
// Loading is strict: a missing, unexpected or mis-shaped tensor fails with a
// *LoadError listing all of them.
package policy
