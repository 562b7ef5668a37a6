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

// Rope rotates queries and keys of one forward pass by their positions, in
// HF's rotate-half convention: with x = [x1, x2] halves of a head,
//
//	rope(x) = [x1·cos − x2·sin, x2·cos + x1·sin] = x⊙[cos,cos] + (x·R)⊙[sin,sin]
//
// where R [hd,hd] is the constant signed permutation x·R = [−x2, x1]. The
// cos and sin rows of every position below the graph's limit are a
// constant table computed on the host (as the graph would: the angle
// position·θᵢ rounded to float32, then cos and sin); a forward gathers its
// rows once and broadcasts them to the query and key layouts, and every
// layer reuses them. A rotation is then one small product with a constant
// and two same-shape multiplies: no slicing, no concatenation and no
// broadcasting iterator per layer. x·R is exact (each output is one input
// times ±1 plus zeros).
type Rope struct {
	cosQ, sinQ, cosK, sinK *Node // [B,S,H,hd] and [B,S,KV,hd]
	r                      *Node // [hd,hd]
}

// NewRope builds the tables for positions [B,S] int32, all below limit,
// and a model with heads query heads and kvHeads key/value heads.
// Positions outside [0, limit) are clamped by the gather.
func NewRope(positions *Node, invFreq []float32, limit, heads, kvHeads int) Rope {
	g := positions.Graph()
	b, s := positions.Shape().Dim(0), positions.Shape().Dim(1)
	hd := 2 * len(invFreq)
	cosT, sinT := ropeTables(invFreq, limit)
	idx := ExpandAxes(ConvertDType(positions, dtypes.Int32), -1) // [B,S,1]
	cos := Reshape(Gather(Const(g, cosT), idx), b, s, 1, hd)
	sin := Reshape(Gather(Const(g, sinT), idx), b, s, 1, hd)
	return Rope{
		cosQ: BroadcastToDims(cos, b, s, heads, hd), sinQ: BroadcastToDims(sin, b, s, heads, hd),
		cosK: BroadcastToDims(cos, b, s, kvHeads, hd), sinK: BroadcastToDims(sin, b, s, kvHeads, hd),
		r: Const(g, rotateHalfMatrix(hd)),
	}
}

// ropeTables returns cos and sin [limit, hd] of position·θᵢ for positions
// 0..limit−1, each half of a row repeating the hd/2 frequencies. The angle
// is a float32 product, as RopeCosSin computes it in the graph.
func ropeTables(invFreq []float32, limit int) (cos, sin [][]float32) {
	half := len(invFreq)
	cos, sin = make([][]float32, limit), make([][]float32, limit)
	for p := range limit {
		cos[p], sin[p] = make([]float32, 2*half), make([]float32, 2*half)
		for i, f := range invFreq {
			a := float64(float32(p) * f)
			cos[p][i], cos[p][i+half] = float32(math.Cos(a)), float32(math.Cos(a))
			sin[p][i], sin[p][i+half] = float32(math.Sin(a)), float32(math.Sin(a))
		}
	}
	return cos, sin
}

// rotateHalfMatrix is R [hd,hd] with x·R = [−x2, x1].
func rotateHalfMatrix(hd int) [][]float32 {
	half := hd / 2
	r := make([][]float32, hd)
	for i := range r {
		r[i] = make([]float32, hd)
	}
	for j := range half {
		r[j+half][j] = -1 // out[j] = −x[j+half]
		r[j][j+half] = 1  // out[j+half] = x[j]
	}
	return r
}

// Q rotates queries [B,S,H,hd].
func (r Rope) Q(q *Node) *Node { return r.rotate(q, r.cosQ, r.sinQ) }

// K rotates keys [B,S,KV,hd].
func (r Rope) K(k *Node) *Node { return r.rotate(k, r.cosK, r.sinK) }

func (r Rope) rotate(x, cos, sin *Node) *Node {
	rot := Dot(x, r.r).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
	return Add(Mul(x, cos), Mul(rot, sin))
}

// RotateHalf applies rotary embedding in HF's rotate-half convention to
// x [..., hd]: with x = [x1, x2] halves, it returns
// [x1·cos − x2·sin, x2·cos + x1·sin]; cos, sin broadcast to [..., hd/2].
// It is the plain form of Rope, kept as the reference in tests.
func RotateHalf(x, cos, sin *Node) *Node {
	halves := Split(x, -1, 2)
	x1, x2 := halves[0], halves[1]
	return Concatenate([]*Node{
		Sub(Mul(x1, cos), Mul(x2, sin)),
		Add(Mul(x2, cos), Mul(x1, sin)),
	}, -1)
}

func itoa(i int) string { return strconv.Itoa(i) }
