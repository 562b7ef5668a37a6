package rewards

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// PadMultiple asks PadBatch for BucketLength's padded lengths.
const PadMultiple = 0

// BucketLength is the padded length of a batch whose longest sequence has
// n tokens: a multiple of 16 up to 128, of 64 up to 1024, of 256 beyond.
// Every padded length is a compiled graph (GoMLX caches 32 per executor),
// so lengths up to 2048 map to at most 26 of them.
func BucketLength(n int) int {
	step := 256
	switch {
	case n <= 128:
		step = 16
	case n <= 1024:
		step = 64
	}
	return (max(n, 1) + step - 1) / step * step
}

// Batch is a left-padded batch of token sequences: IDs, Positions and Mask
// are [B*S] row-major int32 (see policy.Decoder), Tokens counts real tokens.
type Batch struct {
	B, S                 int
	IDs, Positions, Mask []int32
	Tokens               int
}

// PadBatch left-pads seqs to the longest length rounded up to a multiple of
// mult, or to BucketLength when mult ≤ 0 (pad id 0, mask 0, position 0); each row's positions count from 0
// at its first token. Empty sequences are an error: they have no last token.
func PadBatch(seqs [][]int32, mult int) (Batch, error) {
	s := 1
	for i, q := range seqs {
		if len(q) == 0 {
			return Batch{}, fmt.Errorf("rewards: sequence %d is empty", i)
		}
		s = max(s, len(q))
	}
	if mult > 1 {
		s = (s + mult - 1) / mult * mult
	} else if mult <= 0 {
		s = BucketLength(s)
	}
	b := Batch{B: len(seqs), S: s, IDs: make([]int32, len(seqs)*s), Positions: make([]int32, len(seqs)*s), Mask: make([]int32, len(seqs)*s)}
	for r, q := range seqs {
		off := s - len(q)
		for i, id := range q {
			k := r*s + off + i
			b.IDs[k], b.Positions[k], b.Mask[k] = id, int32(i), 1
		}
		b.Tokens += len(q)
	}
	return b, nil
}

// Tensors returns ids, positions and mask as [B,S] int32 tensors.
func (b Batch) Tensors() (ids, pos, mask *tensors.Tensor) {
	return tensors.FromFlatDataAndDimensions(b.IDs, b.B, b.S),
		tensors.FromFlatDataAndDimensions(b.Positions, b.B, b.S),
		tensors.FromFlatDataAndDimensions(b.Mask, b.B, b.S)
}
