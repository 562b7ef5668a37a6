// Package bench measures the compute core on the two benchmark shapes of
// the PyTorch reference (../shared/bench/torch): a training step (forward,
// backward, AdamW as the trainers run it), a scoring forward to per-token
// log-probs, and KV-cache decoding through the sampler at batch 1 and 16.
// It runs the reference script in the same run when PyTorch is installed
// and prints both side by side (`acecoder bench compute`, `make bench`).
package bench
