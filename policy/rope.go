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
// tables are broadcast once to the query and key layouts [B,S,heads,hd]
// and shared by every layer, so a rotation is one small product with a
// constant and two same-shape multiplies: no slicing, no concatenation and
// no broadcasting iterator per layer. x·R is exact (each output is one
// input times ±1 plus zeros).
type Rope struct {
	cosQ, sinQ, cosK, sinK *Node // [B,S,H,hd] and [B,S,KV,hd]
	r                      *Node // [hd,hd]
}

// NewRope builds the tables for positions [B,S] int32 and a model with
// heads query heads and kvHeads key/value heads.
func NewRope(positions *Node, invFreq []float32, heads, kvHeads int) Rope {
	cos, sin := RopeCosSin(positions, invFreq) // [B,S,hd/2]
	b, s, half := cos.Shape().Dim(0), cos.Shape().Dim(1), cos.Shape().Dim(2)
	hd := 2 * half
	full := func(x *Node, n int) *Node {
		x = Reshape(Concatenate([]*Node{x, x}, -1), b, s, 1, hd)
		return BroadcastToDims(x, b, s, n, hd)
	}
	return Rope{
		cosQ: full(cos, heads), sinQ: full(sin, heads),
		cosK: full(cos, kvHeads), sinK: full(sin, kvHeads),
		r: Const(positions.Graph(), rotateHalfMatrix(hd)),
	}
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
