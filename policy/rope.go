package policy

import (
	"math"
	"strconv"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// InvFreq returns the rotary inverse frequencies [head_dim/2]:
// θ^(-2i/hd) as HF computes them (float32), adjusted by rope_scaling:
//   - linear: divided by factor;
//   - llama3 (Llama 3.1): wavelengths 2π/f longer than
//     original_max_position_embeddings/low_freq_factor are divided by factor,
//     shorter than original/high_freq_factor kept, and in between blended
//     with s = (original/wavelen − low)/(high − low): (1−s)·f/factor + s·f.
func InvFreq(c *Config) []float32 {
	hd := c.HeadDimension()
	out := make([]float32, hd/2)
	r := c.RopeScaling
	for i := range out {
		// HF: 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
		expo := float32(2*i) / float32(hd)
		f := float64(float32(1 / math.Pow(c.RopeTheta, float64(expo))))
		switch r.Kind() {
		case "linear":
			f /= r.Factor
		case "llama3":
			f = llama3Freq(f, r)
		}
		out[i] = float32(f)
	}
	return out
}

func llama3Freq(f float64, r *RopeScaling) float64 {
	orig := float64(r.OriginalMaxPositionEmbeddings)
	lowWavelen := orig / r.LowFreqFactor
	highWavelen := orig / r.HighFreqFactor
	wavelen := 2 * math.Pi / f
	switch {
	case wavelen > lowWavelen:
		return f / r.Factor
	case wavelen < highWavelen:
		return f
	}
	s := (orig/wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
	return (1-s)*f/r.Factor + s*f
}

// RopeCosSin returns cos and sin of positions·invFreq, each [B,S,hd/2] float32.
func RopeCosSin(positions *Node, invFreq []float32) (cos, sin *Node) {
	g := positions.Graph()
	angles := Mul(ExpandAxes(ConvertDType(positions, dtypes.Float32), -1), Reshape(Const(g, invFreq), 1, 1, len(invFreq)))
	return Cos(angles), Sin(angles)
}

// RotateHalf applies rotary embedding in HF's rotate-half convention to
// x [..., hd]: with x = [x1, x2] halves, it returns
// [x1·cos − x2·sin, x2·cos + x1·sin]; cos, sin broadcast to [..., hd/2].
func RotateHalf(x, cos, sin *Node) *Node {
	halves := Split(x, -1, 2)
	x1, x2 := halves[0], halves[1]
	return Concatenate([]*Node{
		Sub(Mul(x1, cos), Mul(x2, sin)),
		Add(Mul(x2, cos), Mul(x1, sin)),
	}, -1)
}

func itoa(i int) string { return strconv.Itoa(i) }
