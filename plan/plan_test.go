package plan

import (
	"path/filepath"
	"testing"

	"acecoder/policy"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{in: "80GiB", want: 80 << 30}, {in: "24 GiB", want: 24 << 30}, {in: "512MiB", want: 512 << 20},
		{in: "1.5G", want: 3 << 29}, {in: "2TiB", want: 2 << 40}, {in: "80", err: true}, {in: "-1GiB", err: true}, {in: "GiB", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBytes(tc.in)
			if (err != nil) != tc.err || (!tc.err && got != tc.want) {
				t.Fatalf("ParseBytes(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestEstimateLoRA: the LoRA plan drops the reference and the sampler's
// copy, and its optimiser term follows the adapters' shapes.
func TestEstimateLoRA(t *testing.T) {
	c, err := policy.LoadConfig(filepath.Join("..", "testdata", "models", "qwen2-0.5b-shape", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := Run{Kind: "policy", Model: c, MicroBatch: 2, SeqLen: 256, RolloutRows: 4, RolloutLen: 256}
	full := parts(Estimate(r))
	l := policy.LoRA{Rank: 16, Alpha: 32}
	r.LoRA = &l
	lora := parts(Estimate(r))
	if _, ok := lora["reference policy"]; ok {
		t.Error("a LoRA run holds no reference copy")
	}
	if _, ok := full["reference policy"]; !ok {
		t.Error("a full fine-tuning run holds a reference copy")
	}
	adapters := int64(0)
	for _, s := range policy.AdapterShapes(c, l) {
		adapters += int64(s[0] * s[1])
	}
	// The adapters are fewer than one update group: the step's transient
	// covers all of them.
	if lora["LoRA adapters"] != 4*adapters || lora["optimizer state"] != 12*adapters || lora["gradients and update transient"] != 16*adapters {
		t.Errorf("adapters %d B, optimiser %d + %d B; want %d, %d and %d", lora["LoRA adapters"], lora["optimizer state"],
			lora["gradients and update transient"], 4*adapters, 12*adapters, 16*adapters)
	}
	// Full fine-tuning: the backward pass's 8 bytes per weight exceed 16
	// bytes per value of the largest variable (the embedding).
	params := int64(0)
	for _, p := range c.Params() {
		params += int64(numValues(p.Shape))
	}
	if got := full["gradients and update transient"]; got != 8*params {
		t.Errorf("full fine-tuning transient %d B, want %d", got, 8*params)
	}
	if Total(Estimate(r)) >= Total(Estimate(Run{Kind: "policy", Model: c, MicroBatch: 2, SeqLen: 256, RolloutRows: 4, RolloutLen: 256})) {
		t.Error("LoRA should need less memory than full fine-tuning")
	}
}

// TestEstimateCheckpointing: checkpointing keeps each layer's input plus
// one layer's activations instead of every layer's.
func TestEstimateCheckpointing(t *testing.T) {
	c, err := policy.LoadConfig(filepath.Join("..", "testdata", "models", "qwen2-0.5b-shape", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := Run{Kind: "rm", Model: c, MicroBatch: 2, SeqLen: 100}
	plain := parts(Estimate(r))["activations of a micro-batch"]
	r.GradientCheckpointing = true
	ck := parts(Estimate(r))["activations of a micro-batch"]
	layer := int64(20*c.HiddenSize + 3*c.IntermediateSize)
	if want := 200 * 4 * int64(c.NumHiddenLayers) * layer; plain != want {
		t.Errorf("activations %d B, want %d", plain, want)
	}
	if want := 200 * 4 * (int64(c.NumHiddenLayers*c.HiddenSize) + layer); ck != want {
		t.Errorf("checkpointed activations %d B, want %d", ck, want)
	}
}

// TestEstimateLoRAActivations: adapters on q_proj only add two q_proj
// outputs (D values each) per token and layer to the activations.
func TestEstimateLoRAActivations(t *testing.T) {
	c, err := policy.LoadConfig(filepath.Join("..", "testdata", "models", "qwen2-0.5b-shape", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := Run{Kind: "rm", Model: c, MicroBatch: 1, SeqLen: 10}
	plain := parts(Estimate(r))["activations of a micro-batch"]
	r.LoRA = &policy.LoRA{Rank: 8, Alpha: 16, Targets: []string{"q_proj"}}
	adapted := parts(Estimate(r))["activations of a micro-batch"]
	if want := plain + 10*4*int64(c.NumHiddenLayers*2*c.HiddenSize); adapted != want {
		t.Errorf("activations with q_proj adapters %d B, want %d", adapted, want)
	}
}

func numValues(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func parts(ps []Part) map[string]int64 {
	out := map[string]int64{}
	for _, p := range ps {
		out[p.Name] = p.Bytes
	}
	return out
}
