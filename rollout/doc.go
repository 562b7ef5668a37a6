// Package rollout is the sampling engine: token ids in; sampled tokens,
// per-token log-probs and masks out. It knows no tokenization.
package rollout
