package serve

import (
	"encoding/json"
	"fmt"
	"strings"

	"acecoder/policy/chat"
	"acecoder/rollout"
)

// Limits of a request.
const (
	maxN           = 128
	maxStops       = 4
	maxTopLogprobs = 20
)

// validate turns a decoded request into engine parameters, or an error
// naming the field.
func (s *Server) validate(isChat bool, req *request) (*params, error) {
	p := &params{chat: isChat, n: 1, maxTokens: s.opts.MaxTokens, stream: req.Stream,
		sampling: rollout.Sampling{Temperature: 1, TopP: 1, ValidVocab: s.opts.ValidVocab}}
	var err error
	if p.prompts, err = s.prompts(isChat, req); err != nil {
		return nil, err
	}
	if req.N != nil {
		p.n = *req.N
	}
	if p.n < 1 || p.n > maxN {
		return nil, invalid("n", "n must be in [1, %d], got %d", maxN, p.n)
	}
	if err := s.sampling(req, p); err != nil {
		return nil, err
	}
	if len(req.Stop) > 0 && string(req.Stop) != "null" {
		if p.stops, err = oneOrMany(req.Stop); err != nil || len(p.stops) > maxStops {
			return nil, invalid("stop", "stop must be a string or a list of at most %d strings", maxStops)
		}
	}
	if req.Seed != nil {
		p.seed, p.seeded = uint64(*req.Seed), true
	} else {
		p.seed = s.nextSeed.Add(1)
	}
	if req.StreamOptions != nil {
		if !req.Stream {
			return nil, invalid("stream_options", "stream_options needs stream: true")
		}
		p.includeUsage = req.StreamOptions.IncludeUsage
	}
	return p, s.logprobs(isChat, req, p)
}

// sampling reads temperature, top_p, top_k and the token limit.
func (s *Server) sampling(req *request, p *params) error {
	if req.Temperature != nil {
		p.sampling.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		p.sampling.TopP = *req.TopP
	}
	if req.TopK != nil {
		p.sampling.TopK = *req.TopK
	}
	if req.MaxCompletionTokens != nil {
		req.MaxTokens = req.MaxCompletionTokens
	}
	if req.MaxTokens != nil {
		p.maxTokens = *req.MaxTokens
	}
	switch {
	case p.sampling.Temperature < 0 || p.sampling.Temperature > 2:
		return invalid("temperature", "temperature must be in [0, 2], got %g", p.sampling.Temperature)
	case p.sampling.TopP <= 0 || p.sampling.TopP > 1:
		return invalid("top_p", "top_p must be in (0, 1], got %g", p.sampling.TopP)
	case p.sampling.TopK < 0:
		return invalid("top_k", "top_k must be >= 0 (0 disables it), got %d", p.sampling.TopK)
	case p.maxTokens < 1:
		return invalid("max_tokens", "max_tokens must be at least 1, got %d", p.maxTokens)
	}
	p.maxTokens = min(p.maxTokens, s.opts.MaxTokens)
	return nil
}

// logprobs reads logprobs / top_logprobs (chat: a bool and a count;
// completions: logprobs is the count).
func (s *Server) logprobs(isChat bool, req *request, p *params) error {
	raw := strings.TrimSpace(string(req.Logprobs))
	if isChat {
		if raw != "" && raw != "null" {
			if err := json.Unmarshal(req.Logprobs, &p.logprobs); err != nil {
				return invalid("logprobs", "logprobs must be true or false")
			}
		}
		if req.TopLogprobs != nil {
			if !p.logprobs {
				return invalid("top_logprobs", "top_logprobs needs logprobs: true")
			}
			p.topLogprobs = *req.TopLogprobs
		}
	} else if raw != "" && raw != "null" {
		if err := json.Unmarshal(req.Logprobs, &p.topLogprobs); err != nil {
			return invalid("logprobs", "logprobs must be an integer (the number of alternatives per token)")
		}
		p.logprobs = true
	}
	if p.topLogprobs < 0 || p.topLogprobs > maxTopLogprobs {
		param := "top_logprobs"
		if !isChat {
			param = "logprobs"
		}
		return invalid(param, "%s must be in [0, %d], got %d", param, maxTopLogprobs, p.topLogprobs)
	}
	return nil
}

// prompts encodes the request's conversation (chat) or prompt strings.
func (s *Server) prompts(isChat bool, req *request) ([][]int32, error) {
	if !isChat {
		if req.ContinueFinalMessage || req.AddGenerationPrompt != nil {
			return nil, unsupported("continue_final_message", "continue_final_message and add_generation_prompt are chat fields")
		}
		strs, err := oneOrMany(req.Prompt)
		if err != nil || len(strs) == 0 {
			return nil, invalid("prompt", "prompt must be a string or a non-empty list of strings")
		}
		out := make([][]int32, len(strs))
		for i, p := range strs {
			if out[i] = s.opts.Text.Encode(p); len(out[i]) == 0 {
				return nil, invalid("prompt", "prompt %d is empty", i)
			}
		}
		return out, nil
	}
	if len(req.Messages) == 0 {
		return nil, invalid("messages", "messages must be a non-empty list")
	}
	for i, m := range req.Messages {
		if err := flattenContent(m); err != nil {
			return nil, invalid(fmt.Sprintf("messages[%d].content", i), "%v", err)
		}
	}
	text, err := renderChat(s.opts.Text.Template, req)
	if err != nil {
		return nil, err
	}
	return [][]int32{s.opts.Text.Encode(text)}, nil
}

// renderChat applies the chat template. With continue_final_message the
// text ends right after the last message's content (transformers' rule),
// so the model continues that message instead of opening a new turn.
func renderChat(t *chat.Template, req *request) (string, error) {
	if t == nil {
		return "", invalid("messages", "this model has no chat template; use /v1/completions")
	}
	addGen := !req.ContinueFinalMessage
	if req.AddGenerationPrompt != nil {
		addGen = *req.AddGenerationPrompt
	}
	if req.ContinueFinalMessage && addGen {
		return "", invalid("add_generation_prompt", "continue_final_message needs add_generation_prompt: false")
	}
	text, err := t.Render(req.Messages, chat.Options{AddGenerationPrompt: addGen})
	if err != nil {
		return "", invalid("messages", "chat template: %v", err)
	}
	if !req.ContinueFinalMessage {
		return text, nil
	}
	last, _ := req.Messages[len(req.Messages)-1]["content"].(string)
	for _, c := range []string{last, strings.TrimSpace(last)} {
		if i := strings.LastIndex(text, c); c != "" && i >= 0 {
			return text[:i+len(c)], nil
		}
	}
	return "", invalid("messages", "continue_final_message: the last message needs non-empty string content that the chat template writes out")
}

// flattenContent turns content given as a list of parts ([{"type": "text",
// "text": …}], as newer OpenAI clients send it) into the string chat
// templates expect; other part types (images, audio) are refused.
func flattenContent(m chat.Message) error {
	parts, ok := m["content"].([]any)
	if !ok {
		return nil
	}
	var b strings.Builder
	for j, p := range parts {
		part, _ := p.(map[string]any)
		text, isText := part["text"].(string)
		if part["type"] != "text" || !isText {
			return fmt.Errorf("part %d: only text parts are supported, got %v", j, part["type"])
		}
		b.WriteString(text)
	}
	m["content"] = b.String()
	return nil
}
