package rollout

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// minRows is the fewest rows a decode step runs. The go backend's
// small-matrix kernels work on four rows at a time and fall back to a
// scalar loop for the rows left over, so a step with one live row runs
// faster as four rows, three of them idle (masked, never read back).
const minRows = 4

// layout sizes the cache for the live rows (batch: BatchSize while samples
// wait, else the power of two holding the live rows, at least minRows;
// length: cacheSlots of the longest row's next slot) and places rows that
// are new.
func (s *scheduler) layout() error {
	needB := min(bucket(len(s.rows), 1), s.opts.BatchSize)
	if len(s.pending) > 0 {
		needB = s.opts.BatchSize
	}
	needB = max(needB, minRows)
	longest := 0
	for _, r := range s.rows {
		longest = max(longest, r.len+1)
	}
	needM := cacheSlots(longest)
	if s.cache == nil || s.cache.b != needB || s.cache.m < needM {
		return s.rebuild(needB, needM)
	}
	used := make([]bool, s.cache.b)
	for _, r := range s.rows {
		if r.placed {
			used[r.phys] = true
		}
	}
	free := 0
	for _, r := range s.rows {
		if r.placed {
			continue
		}
		for used[free] {
			free++
		}
		used[free] = true
		s.place(r, free)
	}
	return nil
}

// rebuild moves the live rows into a new cache of b rows and m slots.
func (s *scheduler) rebuild(b, m int) error {
	c := s.e.model.Config
	next, err := newHostCache(s.e.model.Backend, c.NumHiddenLayers, b, c.KVHeads(), m, c.HeadDimension())
	if err != nil {
		return err
	}
	var from, lens []int
	for _, r := range s.rows {
		if r.placed {
			from, lens = append(from, r.phys), append(lens, r.len)
		}
	}
	if s.cache != nil {
		s.cache.moveTo(next, from, lens)
		s.cache.free()
	}
	s.cache = next
	i := 0
	for _, r := range s.rows {
		if r.placed {
			r.phys = i
			i++
		}
	}
	for _, r := range s.rows {
		if !r.placed {
			s.place(r, i)
			i++
		}
	}
	return nil
}

// place copies r's prompt keys and values into cache row phys.
func (s *scheduler) place(r *row, phys int) {
	s.cache.writePrompt(phys, r.prompt.kv, r.prompt.t, r.prompt.n)
	r.phys, r.placed = phys, true
}

// step feeds every live row its last token, stores the token's keys and
// values at the row's next slot and keeps the next-token logits.
func (s *scheduler) step() error {
	b, m := s.cache.b, s.cache.m
	ids, pos := make([]int32, b), make([]int32, b)
	bias := make([]float32, b*m)
	for i := range bias {
		bias[i] = maskedBias
	}
	rows, slots := make([]int, len(s.rows)), make([]int, len(s.rows))
	for i, r := range s.rows {
		ids[r.phys] = r.s.CompletionIDs[len(r.s.CompletionIDs)-1]
		pos[r.phys] = int32(r.len)
		clear(bias[r.phys*m : r.phys*m+r.len])
		rows[i], slots[i] = r.phys, r.len
	}
	args := []any{
		tensors.FromFlatDataAndDimensions(ids, b, 1),
		tensors.FromFlatDataAndDimensions(pos, b, 1),
		tensors.FromFlatDataAndDimensions(bias, b, m),
	}
	for _, t := range s.cache.t {
		args = append(args, t)
	}
	for _, t := range s.e.stacked {
		args = append(args, t)
	}
	logits, kv, err := exec(s.e.decode, args...)
	if err != nil {
		return fmt.Errorf("rollout: decode step [%d rows, %d slots]: %w", b, m, err)
	}
	s.cache.writeSlot(kv, rows, slots)
	v := s.e.model.Config.VocabSize
	for _, r := range s.rows {
		r.logits = logits[r.phys*v : (r.phys+1)*v]
		r.len++
	}
	return nil
}

// cacheSlots is the cache length used for n slots: a power of two up to
// 256 (at least 32), then a multiple of 128, so attention reads at most
// 128 idle slots per row while the number of compiled shapes stays small.
func cacheSlots(n int) int {
	if n <= 256 {
		return bucket(n, 32)
	}
	return (n + 127) / 128 * 128
}
