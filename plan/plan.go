// Package plan estimates the memory of a training run from the shapes the
// code allocates: the model's parameters (policy.Config.Params), its LoRA
// adapters (policy.AdapterShapes), the optimiser's buffers per trainable
// value (trainer/optim: gradient accumulator, two moments, the gradients of
// a backward pass and the new values an update group writes beside the old
// ones), the sampler's stacked weight copy (rollout.StackLimit) and KV
// cache, and the activations and logits of one micro-batch. Every byte count is float32, as the trainers hold
// them. The activation term, about 20·D + 3·FF values per token and layer,
// was calibrated against the measured peak RSS of the memory tests in
// package trainer, which check that the estimate stays within 25% of it.
// With gradient checkpointing the backward pass keeps each layer's input
// (D values per token and layer) and recomputes one layer at a time, so
// the term becomes L·D + 20·D + 3·FF per token. LoRA adds two outputs per
// adapted projection (adapterActivationsPerToken). Not modelled:
// half-precision storage, which the trainers do not use.
package plan

import (
	"fmt"
	"io"
	"strings"

	"acecoder/policy"
	"acecoder/rollout"
	"acecoder/trainer/optim"
)

// Run describes a training run.
type Run struct {
	Kind  string         // "policy" (train-policy), "rm" (train-rm) or "sft"
	Model *policy.Config // the model being trained
	LoRA  *policy.LoRA   // adapters on a frozen base, or nil for full fine-tuning
	// RM is the reward model of a train-policy run with reward=rm (nil
	// otherwise).
	RM *policy.Config
	// MicroBatch sequences of at most SeqLen tokens per forward/backward.
	MicroBatch, SeqLen int
	// RolloutRows decode together, each up to RolloutLen tokens (policy).
	RolloutRows, RolloutLen int
	// GradientCheckpointing: activations are recomputed layer by layer in
	// the backward pass (the model section's gradient_checkpointing).
	GradientCheckpointing bool
}

// Part is one term of the estimate.
type Part struct {
	Name  string
	Bytes int64
}

// Base is what the Go runtime, the binary and compiled graphs take.
const Base = 400 << 20

// Estimate returns the parts of a run's peak memory.
func Estimate(r Run) []Part {
	c := r.Model
	weights := values(paramShapes(c))
	trainable, largest := weights, largestOf(paramShapes(c))
	if r.LoRA != nil {
		trainable, largest = values(policy.AdapterShapes(c, *r.LoRA)), largestOf(policy.AdapterShapes(c, *r.LoRA))
	}
	parts := []Part{{"weights", 4 * weights}}
	if r.LoRA != nil {
		parts = append(parts, Part{"LoRA adapters", 4 * trainable})
	}
	// Per trainable value: the gradient accumulator and two moments
	// (12 B). Then the larger of two transients: a backward pass holds the
	// gradients and the accumulator's new values beside the old (8 B per
	// trainable value); the AdamW step writes new weights, moments and
	// accumulators beside the old, 16 B per value of one update group
	// (optim.GroupValues, or the largest variable).
	parts = append(parts, Part{"optimizer state", 12 * trainable})
	group := min(trainable, max(int64(optim.GroupValues), largest))
	parts = append(parts, Part{"gradients and update transient", max(8*trainable, 16*group)})
	if r.Kind == "policy" {
		if r.LoRA == nil {
			parts = append(parts, Part{"reference policy", 4 * weights})
		}
		if r.RM != nil {
			parts = append(parts, Part{"reward model", 4 * values(paramShapes(r.RM))})
		}
		if r.LoRA == nil && rollout.MatrixBytes(c) <= rollout.StackLimit {
			parts = append(parts, Part{"sampler's stacked weights", rollout.MatrixBytes(c)})
		}
		kv := int64(2*c.NumHiddenLayers*c.KVHeads()*c.HeadDimension()) * int64(r.RolloutRows*r.RolloutLen) * 4
		parts = append(parts, Part{"KV cache of the rollout batch", kv})
	}
	tokens := int64(r.MicroBatch * r.SeqLen)
	act := activationsPerToken(c, r.GradientCheckpointing)
	if r.LoRA != nil {
		act += adapterActivationsPerToken(c, *r.LoRA, r.GradientCheckpointing)
	}
	parts = append(parts, Part{"activations of a micro-batch", tokens * act * 4})
	if r.Kind != "rm" {
		// The log-softmax holds about four logit-sized tensors; long
		// batches run it in chunks of at most policy.LogitsChunkBytes.
		parts = append(parts, Part{"logits of a micro-batch", min(tokens*int64(c.VocabSize)*4, policy.LogitsChunkBytes) * 4})
	}
	return parts
}

// activationsPerToken is the float32 values the backward pass keeps per
// token: every layer's activations, or with checkpointing each layer's
// input plus one layer's activations being recomputed.
func activationsPerToken(c *policy.Config, checkpointing bool) int64 {
	layer := int64(20*c.HiddenSize + 3*c.IntermediateSize)
	if checkpointing {
		return int64(c.NumHiddenLayers*c.HiddenSize) + layer
	}
	return int64(c.NumHiddenLayers) * layer
}

// adapterActivationsPerToken is what adapters add to activationsPerToken:
// an adapted projection keeps its base product and its adapter product
// beside their sum, two more outputs per adapted projection (out values
// each, from the B matrices' shapes), for every layer or, with
// checkpointing, for the one being recomputed.
func adapterActivationsPerToken(c *policy.Config, l policy.LoRA, checkpointing bool) int64 {
	shapes := policy.AdapterShapes(c, l) // pairs: A [rank, in], B [out, rank]
	var n int64
	for i := 1; i < len(shapes); i += 2 {
		n += 2 * int64(shapes[i][0])
	}
	if checkpointing {
		return n / int64(c.NumHiddenLayers)
	}
	return n
}

// Total is the parts plus Base.
func Total(parts []Part) int64 {
	sum := int64(Base)
	for _, p := range parts {
		sum += p.Bytes
	}
	return sum
}

func paramShapes(c *policy.Config) [][]int {
	var out [][]int
	for _, p := range c.Params() {
		out = append(out, p.Shape)
	}
	return out
}

// largestOf is the number of values of the largest of shapes.
func largestOf(shapes [][]int) int64 {
	var n int64
	for _, s := range shapes {
		n = max(n, values([][]int{s}))
	}
	return n
}

func values(shapes [][]int) int64 {
	var n int64
	for _, s := range shapes {
		k := int64(1)
		for _, d := range s {
			k *= int64(d)
		}
		n += k
	}
	return n
}

// Print writes the parts, the total and whether it fits device bytes
// (0: no device given).
func Print(w io.Writer, title string, parts []Part, device int64) {
	fmt.Fprintf(w, "%s\n", title)
	for _, p := range parts {
		fmt.Fprintf(w, "  %-32s %10s\n", p.Name, GiB(p.Bytes))
	}
	total := Total(parts)
	fmt.Fprintf(w, "  %-32s %10s  (with %s for the runtime)\n", "total", GiB(total), GiB(Base))
	if device > 0 {
		verdict := "fits"
		if total > device {
			verdict = "does not fit"
		}
		fmt.Fprintf(w, "  %s in %s\n", verdict, GiB(device))
	}
}

// GiB formats bytes in GiB.
func GiB(b int64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }

// ParseBytes reads sizes such as "80GiB", "24 GiB", "512MiB" or "80G".
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"GB", 1e9}, {"G", 1 << 30}, {"MIB", 1 << 20}, {"MB", 1e6}, {"M", 1 << 20}, {"TIB", 1 << 40}, {"T", 1 << 40}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimSpace(num), "%g", &v); err != nil || v <= 0 {
				return 0, fmt.Errorf("size %q: want a positive number with a unit (GiB, MiB, ...)", s)
			}
			return int64(v * float64(u.mult)), nil
		}
	}
	return 0, fmt.Errorf("size %q: want a unit (GiB, MiB, TiB)", s)
}
