package policy

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Batch is host-side decoder input, each [B][S] int32 (see Decoder).
type Batch struct {
	IDs, Positions, Mask [][]int32
}

// LeftPad right-aligns sequences of different lengths: padding (id pad,
// mask 0, position 0) first, then the tokens at positions 0..len−1.
func LeftPad(seqs [][]int32, pad int32) Batch {
	s := 0
	for _, q := range seqs {
		s = max(s, len(q))
	}
	b := Batch{}
	for _, q := range seqs {
		ids, pos, mask := make([]int32, s), make([]int32, s), make([]int32, s)
		off := s - len(q)
		for i := range ids {
			ids[i] = pad
			if i >= off {
				ids[i], pos[i], mask[i] = q[i-off], int32(i-off), 1
			}
		}
		b.IDs, b.Positions, b.Mask = append(b.IDs, ids), append(b.Positions, pos), append(b.Mask, mask)
	}
	return b
}

func (b Batch) tensors() (ids, pos, mask *tensors.Tensor, err error) {
	if len(b.IDs) == 0 || len(b.IDs[0]) == 0 {
		return nil, nil, nil, fmt.Errorf("policy: empty batch")
	}
	ids, err = matrix(b.IDs, len(b.IDs), len(b.IDs[0]))
	if err == nil {
		pos, err = matrix(b.Positions, len(b.IDs), len(b.IDs[0]))
	}
	if err == nil {
		mask, err = matrix(b.Mask, len(b.IDs), len(b.IDs[0]))
	}
	return ids, pos, mask, err
}

// matrix flattens rows into a [r,c] int32 tensor, checking the shape.
func matrix(rows [][]int32, r, c int) (*tensors.Tensor, error) {
	if len(rows) != r {
		return nil, fmt.Errorf("policy: %d rows, want %d", len(rows), r)
	}
	flat := make([]int32, 0, r*c)
	for i, row := range rows {
		if len(row) != c {
			return nil, fmt.Errorf("policy: row %d has %d entries, want %d", i, len(row), c)
		}
		flat = append(flat, row...)
	}
	return tensors.FromFlatDataAndDimensions(flat, r, c), nil
}

// graphFn is the form of every host executor.
type graphFn = func(scope *model.Scope, inputs []*Node) []*Node

// run executes the cached executor named key (building it from fn on first
// use) on args; panics in graph building come back as errors.
func (m *Model) run(key string, fn graphFn, args ...any) (out []*tensors.Tensor, err error) {
	defer RecoverGraph(&err, "policy: "+key)
	if m.Backend == nil {
		return nil, errClosed
	}
	m.mu.Lock()
	e, ok := m.execs[key]
	if !ok {
		e, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, in []*Node) []*Node {
			VariablesAsParameters(m.Store, in[0].Graph())
			return fn(scope, in)
		})
		if err != nil {
			m.mu.Unlock()
			return nil, fmt.Errorf("policy: %s: %w", key, err)
		}
		m.execs[key] = e
	}
	m.mu.Unlock()
	out, err = e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("policy: %s: %w", key, err)
	}
	return out, nil
}

func (m *Model) runBatch(key string, fn graphFn, b Batch) (*tensors.Tensor, error) {
	ids, pos, mask, err := b.tensors()
	if err != nil {
		return nil, err
	}
	out, err := m.run(key, fn, ids, pos, mask)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Logits runs the full forward: [B,S,V] float32.
func (m *Model) Logits(b Batch) (*tensors.Tensor, error) {
	return m.runBatch("logits", func(_ *model.Scope, in []*Node) []*Node {
		return []*Node{m.Decoder.Logits(in[0], in[1], in[2])}
	}, b)
}

// Hidden returns the final-norm hidden states [B,S,D].
func (m *Model) Hidden(b Batch) (*tensors.Tensor, error) {
	return m.runBatch("hidden", func(_ *model.Scope, in []*Node) []*Node {
		return []*Node{m.Decoder.Hidden(in[0], in[1], in[2])}
	}, b)
}

// NextTokenLogProbs returns log p(ids[b,s] | prefix) aligned with ids
// (see Decoder.NextTokenLogProbs): [B,S] float32.
func (m *Model) NextTokenLogProbs(b Batch) (*tensors.Tensor, error) {
	return m.TemperedLogProbs(b, 1)
}

// TemperedLogProbs is NextTokenLogProbs at a sampling temperature (see
// Decoder.TemperedLogProbs).
func (m *Model) TemperedLogProbs(b Batch, temperature float64) (*tensors.Tensor, error) {
	return m.runBatch(fmt.Sprintf("tempered-logprobs-%g", temperature), func(_ *model.Scope, in []*Node) []*Node {
		return []*Node{m.Decoder.TemperedLogProbs(in[0], in[1], in[2], temperature)}
	}, b)
}

// BaseTemperedLogProbs is TemperedLogProbs of the base model, its LoRA
// adapters off (WithoutAdapters): the reference policy of an adapted run.
// Without adapters it equals TemperedLogProbs.
func (m *Model) BaseTemperedLogProbs(b Batch, temperature float64) (*tensors.Tensor, error) {
	return m.runBatch(fmt.Sprintf("base-tempered-logprobs-%g", temperature), func(_ *model.Scope, in []*Node) []*Node {
		WithoutAdapters(in[0].Graph())
		return []*Node{m.Decoder.TemperedLogProbs(in[0], in[1], in[2], temperature)}
	}, b)
}

// LastHidden returns the hidden state of each row's last real token [B,D].
func (m *Model) LastHidden(b Batch) (*tensors.Tensor, error) {
	return m.runBatch("last-hidden", func(_ *model.Scope, in []*Node) []*Node {
		return []*Node{LastHidden(m.Decoder.Hidden(in[0], in[1], in[2]), in[2])}
	}, b)
}

// SequenceLogits returns, for each sequence, the logits [len][V] of every
// position (left-padded into one batch; padding rows dropped).
func (m *Model) SequenceLogits(seqs [][]int32) ([][][]float32, error) {
	b := LeftPad(seqs, 0)
	t, err := m.Logits(b)
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, fmt.Errorf("policy: logits: %w", err)
	}
	s, v := len(b.IDs[0]), m.Config.VocabSize
	out := make([][][]float32, len(seqs))
	for i, q := range seqs {
		off := s - len(q)
		for p := off; p < s; p++ {
			out[i] = append(out[i], flat[(i*s+p)*v:(i*s+p+1)*v])
		}
	}
	return out, nil
}
