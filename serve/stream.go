package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"acecoder/policy"
	"acecoder/rollout"
)

// sse writes Server-Sent Events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func (e sse) send(v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	e.f.Flush()
}

// tokenEvent is the text of a choice after a sampled token.
type tokenEvent struct {
	choice int
	text   string
}

// stream answers a request as Server-Sent Events: per sampled token a chunk
// with the text that is now certain, per choice a last chunk with the
// rest, its finish_reason and (when asked) its log-probs, then the usage
// chunk (stream_options.include_usage) and "data: [DONE]". An engine
// failure after the first byte is sent as an error event.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, p *params, info *reqInfo) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, fmt.Errorf("serve: the connection cannot stream"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := sse{w, fl}
	st := &streamState{s: s, p: p, out: out, id: s.newID(p.chat), created: time.Now().Unix(),
		emitted: make([]string, len(p.prompts)*p.n), done: make([]bool, len(p.prompts)*p.n)}
	if p.chat {
		for i := range st.emitted {
			st.chunk(i, map[string]any{"role": "assistant", "content": ""}, nil, nil)
		}
	}
	ctx := r.Context()
	tokens := make(chan tokenEvent, 64)
	onToken := func(req int, c []int32) {
		select {
		case tokens <- tokenEvent{req, s.opts.Text.Decode(c)}:
		case <-ctx.Done():
		}
	}
	samples := make(chan rollout.Sample)
	errc := make(chan error, 1)
	go func() {
		errc <- s.opts.Engine.Stream(ctx, engineRequests(p), s.engineOptions(p, onToken), samples)
		close(samples)
	}()
	for open := true; open; {
		select {
		case ev := <-tokens:
			st.token(ev)
		case smp, more := <-samples:
			if !more {
				open = false
				break
			}
			info.completionTokens += len(smp.CompletionIDs)
			st.final(smp)
		}
	}
	if err := <-errc; err != nil {
		if ctx.Err() != nil {
			return // the client went away
		}
		_, body := errorBody(&apiError{status: http.StatusInternalServerError, code: "generation_failed", msg: err.Error()})
		out.send(body)
	}
	if p.includeUsage {
		out.send(map[string]any{"id": st.id, "object": st.object(), "created": st.created, "model": s.opts.ModelName,
			"choices": []any{}, "usage": usage(info)})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// streamState is what a stream has sent so far.
type streamState struct {
	s       *Server
	p       *params
	out     sse
	id      string
	created int64
	emitted []string // text sent per choice
	done    []bool
}

func (st *streamState) object() string {
	if st.p.chat {
		return "chat.completion.chunk"
	}
	return "text_completion"
}

// chunk sends one choice's delta (chat) or text (completions).
func (st *streamState) chunk(i int, delta map[string]any, finish, logprobs any) {
	c := map[string]any{"index": i, "finish_reason": finish, "logprobs": logprobs}
	if st.p.chat {
		c["delta"] = delta
	} else {
		c["text"] = delta["content"]
	}
	st.out.send(map[string]any{"id": st.id, "object": st.object(), "created": st.created,
		"model": st.s.opts.ModelName, "choices": []any{c}})
}

// token sends the part of a choice's text that can no longer change.
func (st *streamState) token(ev tokenEvent) {
	if st.done[ev.choice] {
		return
	}
	safe := certain(ev.text, st.p.stops)
	prev := st.emitted[ev.choice]
	if len(safe) <= len(prev) || !strings.HasPrefix(safe, prev) {
		return
	}
	st.emitted[ev.choice] = safe
	st.chunk(ev.choice, map[string]any{"content": safe[len(prev):]}, nil, nil)
}

// final sends the rest of a finished choice with its finish reason and
// log-probs.
func (st *streamState) final(smp rollout.Sample) {
	c := st.s.finish(st.p, smp)
	st.done[c.index] = true
	prev := st.emitted[c.index]
	rest := ""
	if strings.HasPrefix(c.text, prev) {
		rest = c.text[len(prev):]
	}
	var lp any
	if st.p.logprobs {
		tl, err := st.s.tokenLogprobs(st.p, c)
		if err != nil {
			_, body := errorBody(err)
			st.out.send(body)
			return
		}
		lp = logprobsJSON(tl, st.p.chat, st.p.topLogprobs > 0, 0)
	}
	delta := map[string]any{"content": rest}
	st.chunk(c.index, delta, c.finish, lp)
}

// certain is the prefix of text that later tokens cannot change: text
// before any stop string, less a tail that could still begin one, less a
// trailing incomplete UTF-8 sequence (decoded as U+FFFD).
func certain(text string, stops []string) string {
	if cut, found := policy.CutAtStop(text, stops); found {
		text = cut
	} else {
		hold := 0
		for _, s := range stops {
			hold = max(hold, len(s)-1)
		}
		text = text[:max(0, len(text)-hold)]
	}
	for len(text) > 0 {
		r, size := utf8.DecodeLastRuneInString(text)
		if r != utf8.RuneError {
			break
		}
		text = text[:len(text)-size]
	}
	for len(text) > 0 && !utf8.ValidString(text) {
		text = text[:len(text)-1]
	}
	return text
}
