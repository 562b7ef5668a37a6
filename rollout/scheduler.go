package rollout

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
)

// The scheduler runs continuous batching: a fixed number of rows decode
// together; a row that finishes is sent out at once and its place goes to
// the next waiting sample, whose prompt is prefilled once per request and
// copied into the row's cache slots. When no sample waits, the batch
// shrinks to the next power of two that holds the live rows, so finished
// rows stop costing compute. Every sample draws from its own RNG, one
// uniform per sampled token, so its tokens do not depend on batching.

type job struct {
	req, sample int
	seed        uint64
}

// prompt is the prefill of one request, shared by its samples.
type prompt struct {
	n      int       // prompt tokens
	t      int       // padded length of kv
	kv     []float32 // [2L,KV,t,hd]
	logits []float32 // [V] at the last prompt token
	left   int       // samples not yet admitted
}

type row struct {
	job
	rng    *rand.Rand
	prompt *prompt
	s      Sample
	len    int       // cache slots filled (prompt + fed tokens)
	logits []float32 // next-token logits to sample from
	placed bool      // prompt keys/values are in the cache
	phys   int       // cache row
}

type scheduler struct {
	e       *Engine
	reqs    []Request
	opts    Options
	out     chan<- Sample
	pending []job
	prompts map[int]*prompt
	rows    []*row
	cache   *hostCache
	scratch scratch
}

func newScheduler(e *Engine, reqs []Request, opts Options, out chan<- Sample) *scheduler {
	s := &scheduler{e: e, reqs: reqs, opts: opts, out: out, prompts: map[int]*prompt{}}
	for i, r := range reqs {
		for j := range r.N {
			seed := SampleSeed(opts.Seed, opts.Step, i, j)
			if r.Seeds != nil {
				seed = r.Seeds[j]
			}
			s.pending = append(s.pending, job{req: i, sample: j, seed: seed})
		}
	}
	return s
}

func (s *scheduler) close() { s.cache.free() }

func (s *scheduler) run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.admit(); err != nil {
			return err
		}
		if len(s.rows) == 0 {
			return nil
		}
		if err := s.sampleAll(ctx); err != nil {
			return err
		}
		if len(s.rows) == 0 {
			continue
		}
		if err := s.layout(); err != nil {
			return err
		}
		if err := s.step(); err != nil {
			return err
		}
	}
}

// admit fills free rows with waiting samples, prefilling their prompts.
func (s *scheduler) admit() error {
	n := min(s.opts.BatchSize-len(s.rows), len(s.pending))
	if n <= 0 {
		return nil
	}
	var need []int
	for _, j := range s.pending[:n] {
		if _, ok := s.prompts[j.req]; !ok && !slices.Contains(need, j.req) {
			need = append(need, j.req)
		}
	}
	for len(need) > 0 {
		k := min(len(need), maxPrefillRows)
		if err := s.prefill(need[:k]); err != nil {
			return err
		}
		need = need[k:]
	}
	for _, j := range s.pending[:n] {
		p := s.prompts[j.req]
		if p.left--; p.left == 0 {
			delete(s.prompts, j.req)
		}
		r := &row{job: j, rng: newRNG(j.seed), prompt: p, len: p.n, logits: p.logits, phys: -1}
		r.s = Sample{PromptIndex: j.req, SampleIndex: j.sample, Seed: j.seed, PromptIDs: s.reqs[j.req].PromptIDs}
		s.rows = append(s.rows, r)
	}
	s.pending = s.pending[n:]
	return nil
}

// maxPrefillRows bounds the prompts prefilled in one graph call.
const maxPrefillRows = 8

// prefill runs the prompts of requests reqs together, right-padded to a
// common power-of-two length (rows beyond len(reqs), up to the next power
// of two, are empty), and stores each one's keys, values and last logits.
func (s *scheduler) prefill(reqs []int) error {
	longest := 0
	for _, i := range reqs {
		longest = max(longest, len(s.reqs[i].PromptIDs))
	}
	p, t := bucket(len(reqs), 1), bucket(longest, 16)
	ids, mask := make([]int32, p*t), make([]int32, p*t)
	for r, i := range reqs {
		copy(ids[r*t:], s.reqs[i].PromptIDs)
		for k := range s.reqs[i].PromptIDs {
			mask[r*t+k] = 1
		}
	}
	args := []any{tensors.FromFlatDataAndDimensions(ids, p, t), tensors.FromFlatDataAndDimensions(mask, p, t)}
	for _, w := range s.e.stacked {
		args = append(args, w)
	}
	logits, kv, err := exec(s.e.prefill, args...)
	if err != nil {
		return fmt.Errorf("rollout: prefill of requests %v: %w", reqs, err)
	}
	v := len(logits) / p
	per := len(kv) / (p * 2 * s.e.model.Config.NumHiddenLayers) // KV·T·hd
	for r, i := range reqs {
		own := make([]float32, 0, 2*s.e.model.Config.NumHiddenLayers*per) // [2L,KV,T,hd]
		for li := range 2 * s.e.model.Config.NumHiddenLayers {
			own = append(own, kv[(li*p+r)*per:(li*p+r+1)*per]...)
		}
		s.prompts[i] = &prompt{n: len(s.reqs[i].PromptIDs), t: t, kv: own, logits: logits[r*v : (r+1)*v], left: s.reqs[i].N}
	}
	return nil
}

// sampleAll picks the next token of every row and sends finished samples.
func (s *scheduler) sampleAll(ctx context.Context) error {
	live := s.rows[:0]
	for _, r := range s.rows {
		if reason := s.next(r); reason != "" {
			r.s.FinishReason = reason
			if s.opts.Detokenize != nil {
				r.s.Text = s.opts.Detokenize(r.s.CompletionIDs)
			}
			select {
			case s.out <- r.s:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		live = append(live, r)
	}
	clear(s.rows[len(live):])
	s.rows = live
	return nil
}

// next appends one token to r and returns its finish reason, or "".
func (s *scheduler) next(r *row) string {
	forced := s.reqs[r.req].Forced
	i := len(r.s.CompletionIDs)
	var p Pick
	gen := i >= len(forced)
	if gen {
		p = s.opts.draw(r.logits, r.rng.Float64(), &s.scratch)
	} else {
		p = s.opts.force(r.logits, forced[i], &s.scratch)
	}
	r.s.CompletionIDs = append(r.s.CompletionIDs, p.ID)
	r.s.LogProbs = append(r.s.LogProbs, float32(p.LogProb))
	r.s.RawLogProbs = append(r.s.RawLogProbs, float32(p.RawLogProb))
	r.s.PolicyLogProbs = append(r.s.PolicyLogProbs, p.PolicyLogProb)
	r.s.GeneratedMask = append(r.s.GeneratedMask, gen)
	switch {
	case gen && slices.Contains(s.opts.StopIDs, p.ID):
		return FinishStop
	case gen && s.opts.Stop != nil && s.opts.Stop(r.req, r.s.CompletionIDs):
		return FinishStop
	case len(r.s.CompletionIDs) >= s.opts.MaxNewTokens:
		return FinishLength
	case s.opts.MaxLen > 0 && r.prompt.n+len(r.s.CompletionIDs) >= s.opts.MaxLen:
		return FinishLength
	}
	return ""
}

// bucket rounds n up to a power of two, at least lo.
func bucket(n, lo int) int {
	if n <= lo {
		return lo
	}
	return 1 << bits.Len(uint(n-1))
}

func sortSamples(ss []Sample) {
	slices.SortFunc(ss, func(a, b Sample) int {
		if a.PromptIndex != b.PromptIndex {
			return a.PromptIndex - b.PromptIndex
		}
		return a.SampleIndex - b.SampleIndex
	})
}
