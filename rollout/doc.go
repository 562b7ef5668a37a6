// Package rollout is the sampling engine: token ids in; sampled tokens,
// per-token log-probs and masks out. It knows no tokenization; policy.Text
// is the layer that applies a chat template and decodes.
//
// Engine.Stream decodes a fixed number of rows together and sends each
// Sample on a channel the moment it finishes, so consumers (the rule-reward
// runner, a reward-model scorer) work while the rest of the batch decodes;
// Engine.Generate collects them. The batch is continuous: a finished row's
// place goes to the next waiting sample at once, whose prompt is prefilled
// once per request and copied into that row; when nothing waits, the batch
// shrinks to the next power of two above the live rows.
//
// How it departs from Hugging Face's generate:
//   - The KV cache lives on the host, in buffers the go backend shares
//     with the graph: the decode graph only reads it and returns the new
//     token's keys and values, which the host writes in place. Each row
//     owns slots 0..len−1 with its own positions (no left padding), masked
//     by a per-row bias. K is stored transposed ([B,KV,hd,M]) so both
//     attention products are plain matrix products for the go backend.
//     Cache length grows in buckets (powers of two to 256, then multiples
//     of 128), so a step costs attention over the filled slots, never a
//     re-forward. A step runs at least four rows (the go backend's small
//     matrix kernels are scalar for fewer).
//   - Prefill and decode run policy.Decoder.Layer, the same block as the
//     full forward, with their own attention; for models whose matrices
//     take at most StackLimit they read stacked [in,out] copies of the
//     matrices (q|k|v and gate|up concatenated, policy.Stacked) refreshed
//     from the store at every Stream call, so a trainer's updates are
//     always seen. Models with LoRA adapters decode from their variables
//     with the adapters in the graph. The tests check both graphs against
//     the full forward.
//   - Sampling runs on the host per row, one uniform draw per sampled
//     token from the row's own PCG stream seeded by SampleSeed(run seed,
//     step, prompt, sample), so results do not depend on batching.
//     Warpers in Hugging Face's order: temperature, top-k, top-p (HF's
//     rule: drop the tail of mass ≤ 1−p), restricted to ValidVocab ids.
//   - Each token carries three log-probs: under the renormalised sampling
//     distribution actually used (LogProbs, 0 for greedy), under the model
//     at temperature 1 over the full vocabulary (RawLogProbs, what an
//     OpenAI-style API reports), and under the tempered policy over the
//     full vocabulary (PolicyLogProbs: log π_old for the RL loss, equal to
//     policy.Decoder.TemperedLogProbs of a full forward up to float32
//     rounding).
//
// Finish reasons: "stop" (a StopIDs token, kept in the completion, or the
// Stop callback, e.g. policy.Text.StopAt for stop strings) and "length"
// (MaxNewTokens or MaxLen).
package rollout
