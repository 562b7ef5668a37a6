package rewards

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// PadMultiple is the length granularity of padded batches.
const PadMultiple = 16

// Batch is a left-padded batch of token sequences: IDs, Positions and Mask
// are [B*S] row-major int32 (see policy.Decoder), Tokens counts real tokens.
type Batch struct {
	B, S                 int
	IDs, Positions, Mask []int32
	Tokens               int
}

// PadBatch left-pads seqs to the longest length rounded up to a multiple of
// mult (pad id 0, mask 0, position 0); each row's positions count from 0
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
