// Package checkpoints saves and loads training checkpoints atomically: a
// directory step-%08d/ with weights, optimizer state, RNG state, data cursor,
// loop state, resolved config and a manifest (format version, sha256 per
// file) written last.
package checkpoints
