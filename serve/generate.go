package serve

import (
	"context"
	"net/http"
	"slices"
	"time"

	"acecoder/policy"
	"acecoder/rollout"
)

// engineRequests lays the request out for the engine: sample j of prompt i
// is its own request i·n+j (the choice index) with seed
// SampleSeed(seed, 0, i, j), so a stream can tell its choices apart and
// gets the same tokens as a whole answer.
func engineRequests(p *params) []rollout.Request {
	reqs := make([]rollout.Request, 0, len(p.prompts)*p.n)
	for i, ids := range p.prompts {
		for j := range p.n {
			reqs = append(reqs, rollout.Request{PromptIDs: ids, N: 1, Seeds: []uint64{rollout.SampleSeed(p.seed, 0, i, j)}})
		}
	}
	return reqs
}

// engineOptions maps the parameters to the engine's options; onToken, when
// set, sees every sampled token's completion so far (the stream's feed).
func (s *Server) engineOptions(p *params, onToken func(req int, completion []int32)) rollout.Options {
	stop := s.opts.Text.StopAt(p.stops)
	return rollout.Options{
		Sampling: p.sampling, MaxNewTokens: p.maxTokens, StopIDs: s.opts.Text.StopIDs(),
		BatchSize: s.opts.BatchSize, Seed: p.seed, Detokenize: s.opts.Text.Decode,
		Stop: func(req int, c []int32) bool {
			ended := stop != nil && stop(req, c)
			if onToken != nil {
				onToken(req, c)
			}
			return ended
		},
	}
}

// choice is one finished completion as the API reports it.
type choice struct {
	index  int
	text   string // up to the first stop string
	cut    bool   // a stop string ended the text
	finish string
	sample rollout.Sample
}

func (s *Server) finish(p *params, smp rollout.Sample) choice {
	text, cut := policy.CutAtStop(smp.Text, p.stops)
	c := choice{index: smp.PromptIndex, text: text, cut: cut, finish: smp.FinishReason, sample: smp}
	if cut {
		c.finish = rollout.FinishStop
	}
	return c
}

// answer runs a request to the end and returns the whole response.
func (s *Server) answer(ctx context.Context, p *params, info *reqInfo) (map[string]any, error) {
	samples, err := s.opts.Engine.Generate(ctx, engineRequests(p), s.engineOptions(p, nil))
	if err != nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "invalid_value", msg: err.Error()}
	}
	choices := make([]map[string]any, len(samples))
	for i, smp := range samples {
		c := s.finish(p, smp)
		info.completionTokens += len(smp.CompletionIDs)
		out := map[string]any{"index": c.index, "finish_reason": c.finish, "logprobs": nil}
		if p.logprobs {
			lp, err := s.tokenLogprobs(p, c)
			if err != nil {
				return nil, err
			}
			out["logprobs"] = logprobsJSON(lp, p.chat, p.topLogprobs > 0, 0)
		}
		if p.chat {
			out["message"] = map[string]any{"role": "assistant", "content": c.text}
		} else {
			out["text"] = c.text
		}
		choices[i] = out
	}
	object := "text_completion"
	if p.chat {
		object = "chat.completion"
	}
	return map[string]any{
		"id": s.newID(p.chat), "object": object, "created": time.Now().Unix(), "model": s.opts.ModelName,
		"choices": choices, "usage": usage(info),
	}, nil
}

func usage(info *reqInfo) map[string]int {
	return map[string]int{"prompt_tokens": info.promptTokens, "completion_tokens": info.completionTokens,
		"total_tokens": info.promptTokens + info.completionTokens}
}

// shownTokens is how many of a choice's tokens its text shows: a final
// stop id is not part of the text, nor are tokens that start at or after
// the stop string that cut it. offsets[k] is where token k's text starts.
func (s *Server) shownTokens(c choice, offsets []int) int {
	ids := c.sample.CompletionIDs
	n := len(ids)
	if n > 0 && c.sample.FinishReason == rollout.FinishStop && slices.Contains(s.opts.Text.StopIDs(), ids[n-1]) {
		n--
	}
	for c.cut && n > 0 && offsets[n-1] >= len(c.text) {
		n--
	}
	return n
}
