package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"

	"acecoder/policy/chat"
	"acecoder/rollout"
)

// request holds every OpenAI field this server reads.
type request struct {
	Model                string          `json:"model"`
	Messages             []chat.Message  `json:"messages"`
	Prompt               json.RawMessage `json:"prompt"`
	N                    *int            `json:"n"`
	Temperature          *float64        `json:"temperature"`
	TopP                 *float64        `json:"top_p"`
	TopK                 *int            `json:"top_k"`
	MaxTokens            *int            `json:"max_tokens"`
	MaxCompletionTokens  *int            `json:"max_completion_tokens"`
	Stop                 json.RawMessage `json:"stop"`
	Seed                 *int64          `json:"seed"`
	Stream               bool            `json:"stream"`
	StreamOptions        *streamOptions  `json:"stream_options"`
	Logprobs             json.RawMessage `json:"logprobs"`
	TopLogprobs          *int            `json:"top_logprobs"`
	ContinueFinalMessage bool            `json:"continue_final_message"`
	AddGenerationPrompt  *bool           `json:"add_generation_prompt"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// params is a validated request, ready for the engine.
type params struct {
	chat         bool
	prompts      [][]int32
	n            int
	sampling     rollout.Sampling
	maxTokens    int
	stops        []string
	seed         uint64
	seeded       bool
	stream       bool
	includeUsage bool
	logprobs     bool
	topLogprobs  int
}

// Fields each endpoint reads, and fields it accepts only at their neutral
// value (anything else is refused, not ignored).
var (
	chatFields = []string{"model", "messages", "n", "temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens",
		"stop", "seed", "stream", "stream_options", "logprobs", "top_logprobs", "continue_final_message", "add_generation_prompt", "user"}
	completionFields = []string{"model", "prompt", "n", "temperature", "top_p", "top_k", "max_tokens", "stop", "seed",
		"stream", "stream_options", "logprobs", "user"}
	neutral = map[string]func(json.RawMessage) bool{
		"presence_penalty":    isZero,
		"frequency_penalty":   isZero,
		"logit_bias":          isEmpty,
		"tools":               isEmpty,
		"tool_choice":         func(r json.RawMessage) bool { return isEmpty(r) || string(r) == `"none"` },
		"response_format":     func(r json.RawMessage) bool { return isEmpty(r) || bytes.Equal(compact(r), []byte(`{"type":"text"}`)) },
		"echo":                func(r json.RawMessage) bool { return isEmpty(r) || string(r) == "false" },
		"suffix":              func(r json.RawMessage) bool { return isEmpty(r) || string(r) == `""` },
		"parallel_tool_calls": func(json.RawMessage) bool { return true },
	}
)

func isZero(r json.RawMessage) bool {
	var f float64
	return isEmpty(r) || (json.Unmarshal(r, &f) == nil && f == 0)
}

func isEmpty(r json.RawMessage) bool {
	s := string(compact(r))
	return s == "" || s == "null" || s == "{}" || s == "[]"
}

func compact(r json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, r) != nil {
		return r
	}
	return b.Bytes()
}

// decode reads the body and refuses fields this endpoint does not
// implement, naming them.
func decode(r *http.Request, w http.ResponseWriter, maxBody int64, isChat bool) (*request, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(body).Decode(&raw); err != nil {
		if _, tooBig := err.(*http.MaxBytesError); tooBig {
			return nil, err
		}
		return nil, invalid("", "request body is not a JSON object: %v", err)
	}
	known := completionFields
	if isChat {
		known = chatFields
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case slices.Contains(known, k):
		case k == "best_of" && !isChat:
			if err := checkBestOf(raw[k], raw["n"]); err != nil {
				return nil, err
			}
		case neutral[k] != nil:
			if !neutral[k](raw[k]) {
				return nil, unsupported(k, "%s is not supported by this server (only its default value is accepted)", k)
			}
		default:
			return nil, unsupported(k, "unrecognized request argument supplied: %s", k)
		}
	}
	data, _ := json.Marshal(raw)
	var req request
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&req); err != nil {
		return nil, invalid(jsonField(err), "request body: %v", err)
	}
	return &req, nil
}

// checkBestOf accepts best_of only where it changes nothing (1 or n).
func checkBestOf(bestOf, n json.RawMessage) error {
	var b, k int
	k = 1
	if json.Unmarshal(bestOf, &b) != nil {
		return invalid("best_of", "best_of must be an integer")
	}
	if len(n) > 0 {
		_ = json.Unmarshal(n, &k)
	}
	if b != 1 && b != k {
		return unsupported("best_of", "best_of other than n is not supported (got best_of %d, n %d)", b, k)
	}
	return nil
}

// jsonField names the field of a json.UnmarshalTypeError.
func jsonField(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return te.Field
	}
	return ""
}

// oneOrMany decodes a JSON string or list of strings.
func oneOrMany(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(raw, &many)
	return many, err
}
