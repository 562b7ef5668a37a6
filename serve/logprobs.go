package serve

import (
	"fmt"
	"math"
	"slices"

	"acecoder/rollout"
)

// tokenLP is one completion token with its log-probability and, when asked
// for, the most likely alternatives at its position.
type tokenLP struct {
	token   string
	logprob float64
	offset  int // byte offset of the token's text in the choice's text
	top     []altLP
}

type altLP struct {
	token   string
	logprob float64
}

// finite keeps JSON valid: a −Inf log-prob (a token outside the support)
// is reported as OpenAI's floor, −9999.
func finite(x float64) float64 {
	if math.IsInf(x, -1) || math.IsNaN(x) || x < -9999 {
		return -9999
	}
	return x
}

func tokenBytes(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}

// tokenLogprobs gives the log-probs of the tokens a choice's text shows:
// the sampler's (temperature 1, full vocabulary) for the chosen token and,
// for top_logprobs > 0, the k most likely ids of one forward pass over
// prompt + completion.
func (s *Server) tokenLogprobs(p *params, c choice) ([]tokenLP, error) {
	ids := c.sample.CompletionIDs
	offsets := make([]int, len(ids)+1)
	for k := range ids {
		offsets[k+1] = len(s.opts.Text.Decode(ids[:k+1]))
	}
	n := s.shownTokens(c, offsets)
	out := make([]tokenLP, n)
	for k := range n {
		out[k] = tokenLP{token: s.tokenText(ids[k]), logprob: finite(float64(c.sample.RawLogProbs[k])), offset: offsets[k]}
	}
	if p.topLogprobs == 0 || n == 0 {
		return out, nil
	}
	s.scoring.Lock()
	defer s.scoring.Unlock()
	seq := append(slices.Clone(c.sample.PromptIDs), ids[:n]...)
	logits, err := s.opts.Engine.Model().SequenceLogits([][]int32{seq})
	if err != nil {
		return nil, fmt.Errorf("serve: top log-probs: %w", err)
	}
	at := len(c.sample.PromptIDs) - 1
	for k := range n {
		out[k].top = s.topK(logits[0][at+k], p.topLogprobs)
	}
	return out, nil
}

// topK returns the k most likely ids of a logits row (ids the tokenizer
// cannot produce excluded; ties to the lower id) with log softmax values.
func (s *Server) topK(row []float32, k int) []altLP {
	valid := row
	if v := s.opts.ValidVocab; v > 0 && v < len(row) {
		valid = row[:v]
	}
	lse := rollout.LogSumExp(row)
	// Insertion into a list of at most k: O(V·k) for the small k allowed.
	best := make([]int32, 0, k+1)
	for id := range valid {
		i := len(best)
		for i > 0 && valid[best[i-1]] < valid[id] {
			i--
		}
		if i < k {
			best = slices.Insert(best, i, int32(id))
			if len(best) > k {
				best = best[:k]
			}
		}
	}
	out := make([]altLP, len(best))
	for i, id := range best {
		out[i] = altLP{token: s.tokenText(id), logprob: finite(float64(valid[id]) - lse)}
	}
	return out
}

// tokenText is one token's text (special tokens written out).
func (s *Server) tokenText(id int32) string {
	return s.opts.Text.Tok.Decode([]int{int(id)}, false)
}

// logprobsJSON renders log-probs in the shape of the endpoint: chat's
// {"content": [{token, logprob, bytes, top_logprobs}]}, or the legacy
// completions {tokens, token_logprobs, top_logprobs, text_offset}, with
// offsets counted from base (the text streamed before these tokens).
func logprobsJSON(lps []tokenLP, isChat bool, topAsked bool, base int) map[string]any {
	if isChat {
		content := make([]map[string]any, len(lps))
		for i, t := range lps {
			top := make([]map[string]any, len(t.top))
			for j, a := range t.top {
				top[j] = map[string]any{"token": a.token, "logprob": a.logprob, "bytes": tokenBytes(a.token)}
			}
			content[i] = map[string]any{"token": t.token, "logprob": t.logprob, "bytes": tokenBytes(t.token), "top_logprobs": top}
		}
		return map[string]any{"content": content}
	}
	tokens, lp, offs := make([]string, len(lps)), make([]float64, len(lps)), make([]int, len(lps))
	var top []map[string]float64
	for i, t := range lps {
		tokens[i], lp[i], offs[i] = t.token, t.logprob, base+t.offset
		if topAsked {
			m := map[string]float64{}
			for _, a := range t.top {
				if _, dup := m[a.token]; !dup {
					m[a.token] = a.logprob
				}
			}
			top = append(top, m)
		}
	}
	out := map[string]any{"tokens": tokens, "token_logprobs": lp, "text_offset": offs, "top_logprobs": nil}
	if topAsked {
		out["top_logprobs"] = top
	}
	return out
}
