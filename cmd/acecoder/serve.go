package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/policy/chat"
	"acecoder/rollout"
)

func init() { register(newServeCmd) }

// serveOptions are the flags of acecoder serve.
type serveOptions struct {
	model       configs.Model
	addr        string
	backend     string
	allowRemote bool
	concurrency int
	maxBody     int64
	maxTokens   int
	batch       int
	seed        int64
}

func newServeCmd(*cli.Globals) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "OpenAI-compatible completion server for a local model",
		Long: `Serves POST /v1/chat/completions and /v1/completions (non-streaming; n,
temperature, top_p, max_tokens, stop, seed) and GET /v1/models for a local
model, on loopback unless --allow-remote. Requests beyond --concurrency
in flight get 429; bodies over --max-body get 413. SIGINT/SIGTERM finish the
requests in flight, then exit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.model.Path == "" && o.model.InitConfig == "" {
				return cli.Usagef("serve: --model DIR is required")
			}
			ln, err := listen(o.addr, o.allowRemote)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), o, ln, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model.Path, "model", "", "Hugging Face model directory (config.json, safetensors, tokenizer files)")
	f.StringVar(&o.model.InitConfig, "init-config", "", "config.json of a random model (tests, demos) instead of --model")
	f.StringVar(&o.model.Tokenizer, "tokenizer", "", "tokenizer.json or its directory (default: the model directory)")
	f.StringVar(&o.model.ChatTemplate, "chat-template", "", "chat template: '' from the model directory, 'plain' (ChatML) or a .jinja file")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8000", "listen address")
	f.StringVar(&o.backend, "backend", backend.Default, "compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback listen address")
	f.IntVar(&o.concurrency, "concurrency", 8, "requests in flight (queued for the model) before answering 429")
	f.Int64Var(&o.maxBody, "max-body", 1<<20, "largest request body in bytes")
	f.IntVar(&o.maxTokens, "max-tokens", 1024, "default max_tokens, and the most a request gets (larger requests are clamped)")
	f.IntVar(&o.batch, "batch-size", 16, "sequences decoded together")
	f.Int64Var(&o.seed, "seed", 42, "seed of requests that give none (each such request gets the next one)")
	return cmd
}

// listen opens addr, refusing non-loopback hosts unless allowed.
func listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, cli.Usagef("serve: --addr %q: %v", addr, err)
	}
	if !allowRemote {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, cli.Usagef("serve: --addr %q is not a loopback address (pass --allow-remote to expose the model)", addr)
		}
	}
	return net.Listen("tcp", addr)
}

// serve answers on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, o serveOptions, ln net.Listener, logw io.Writer) error {
	gen, err := loadGenerator(ctx, o.backend, o.model, o.seed)
	if err != nil {
		ln.Close()
		return err
	}
	s := &server{gen: gen, opts: o, sem: make(chan struct{}, max(1, o.concurrency)), nextSeed: uint64(o.seed)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handle(true))
	mux.HandleFunc("POST /v1/completions", s.handle(false))
	mux.HandleFunc("GET /v1/models", s.models)
	// Request contexts do not derive from ctx: on shutdown the requests in
	// flight finish rather than being cancelled.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(logw, "acecoder serve: %s on http://%s\n", gen.name, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type server struct {
	gen      *generator
	opts     serveOptions
	sem      chan struct{}
	nextSeed uint64 // atomic
	reqID    atomic.Uint64
}

// completionRequest holds the OpenAI fields this server reads.
type completionRequest struct {
	Messages    []chat.Message  `json:"messages"`
	Prompt      json.RawMessage `json:"prompt"`
	N           *int            `json:"n"`
	Temperature *float64        `json:"temperature"`
	TopP        *float64        `json:"top_p"`
	MaxTokens   *int            `json:"max_tokens"`
	MaxCompl    *int            `json:"max_completion_tokens"`
	Stop        json.RawMessage `json:"stop"`
	Seed        *int64          `json:"seed"`
	Stream      bool            `json:"stream"`
}

type apiError struct {
	code int
	msg  string
}

func (e apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var ae apiError
	if !errors.As(err, &ae) {
		ae = apiError{http.StatusInternalServerError, err.Error()}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		ae = apiError{http.StatusRequestEntityTooLarge, err.Error()}
	}
	kind := "invalid_request_error"
	if ae.code >= 500 {
		kind = "server_error"
	}
	writeJSON(w, ae.code, map[string]any{"error": map[string]any{"message": ae.msg, "type": kind, "code": ae.code}})
}

func (s *server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{
		{"id": s.gen.name, "object": "model", "owned_by": "acecoder"}}})
}

// handle answers /v1/chat/completions (chat) or /v1/completions.
func (s *server) handle(isChat bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			writeError(w, apiError{http.StatusTooManyRequests, "too many requests in flight"})
			return
		}
		var req completionRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.maxBody))
		if err := dec.Decode(&req); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, err)
				return
			}
			writeError(w, badRequest("request body: %v", err))
			return
		}
		resp, err := s.complete(r.Context(), isChat, req)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// complete runs one request through the engine.
func (s *server) complete(ctx context.Context, isChat bool, req completionRequest) (map[string]any, error) {
	prompts, err := s.prompts(isChat, req)
	if err != nil {
		return nil, err
	}
	opts, stops, err := s.options(req)
	if err != nil {
		return nil, err
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 128 {
		return nil, badRequest("n must be in [1, 128], got %d", n)
	}
	seed := uint64(0)
	if req.Seed != nil {
		seed = uint64(*req.Seed)
	} else {
		seed = atomic.AddUint64(&s.nextSeed, 1)
	}
	opts.Seed = seed
	reqs := make([]rollout.Request, len(prompts))
	promptTokens := 0
	for i, p := range prompts {
		reqs[i] = rollout.Request{PromptIDs: p, N: n}
		promptTokens += len(p)
	}
	samples, err := s.gen.engine.Generate(ctx, reqs, opts)
	if err != nil {
		return nil, apiError{http.StatusBadRequest, err.Error()}
	}
	choices := make([]map[string]any, len(samples))
	completionTokens := 0
	for i, smp := range samples {
		text, cut := rollout.CutAtStop(smp.Text, stops)
		finish := smp.FinishReason
		if cut {
			finish = rollout.FinishStop
		}
		completionTokens += len(smp.CompletionIDs)
		choices[i] = map[string]any{"index": i, "finish_reason": finish}
		if isChat {
			choices[i]["message"] = map[string]any{"role": "assistant", "content": text}
		} else {
			choices[i]["text"], choices[i]["logprobs"] = text, nil
		}
	}
	object, prefix := "text_completion", "cmpl-"
	if isChat {
		object, prefix = "chat.completion", "chatcmpl-"
	}
	return map[string]any{
		"id": fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano(), s.reqID.Add(1)), "object": object,
		"created": time.Now().Unix(), "model": s.gen.name, "choices": choices,
		"usage": map[string]int{"prompt_tokens": promptTokens, "completion_tokens": completionTokens,
			"total_tokens": promptTokens + completionTokens},
	}, nil
}

// prompts encodes the request's messages (chat) or prompt strings.
func (s *server) prompts(isChat bool, req completionRequest) ([][]int32, error) {
	if req.Stream {
		return nil, badRequest("stream is not supported")
	}
	text := s.gen.text
	if isChat {
		if len(req.Messages) == 0 {
			return nil, badRequest("messages is required")
		}
		ids, err := text.ChatPrompt(req.Messages, "")
		if err != nil {
			return nil, badRequest("%v", err)
		}
		return [][]int32{ids}, nil
	}
	strs, err := oneOrMany(req.Prompt)
	if err != nil || len(strs) == 0 {
		return nil, badRequest("prompt must be a string or a list of strings")
	}
	var out [][]int32
	for _, p := range strs {
		out = append(out, text.Encode(p))
	}
	return out, nil
}

// options maps the sampling fields to engine options and stop strings.
func (s *server) options(req completionRequest) (rollout.Options, []string, error) {
	o := rollout.Options{
		Sampling:     rollout.Sampling{Temperature: 1, TopP: 1, ValidVocab: s.gen.validVocab()},
		MaxNewTokens: s.opts.maxTokens, StopIDs: s.gen.text.StopIDs(), BatchSize: s.opts.batch,
		Detokenize: s.gen.text.Decode,
	}
	if req.Temperature != nil {
		o.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		o.TopP = *req.TopP
	}
	if req.MaxCompl != nil {
		req.MaxTokens = req.MaxCompl
	}
	if req.MaxTokens != nil {
		o.MaxNewTokens = *req.MaxTokens
	}
	switch {
	case o.Temperature < 0 || o.Temperature > 2:
		return o, nil, badRequest("temperature must be in [0, 2]")
	case o.TopP <= 0 || o.TopP > 1:
		return o, nil, badRequest("top_p must be in (0, 1]")
	case o.MaxNewTokens < 1:
		return o, nil, badRequest("max_tokens must be at least 1")
	}
	// Larger requests are clamped rather than refused, so clients written
	// for remote endpoints with long limits work unchanged.
	o.MaxNewTokens = min(o.MaxNewTokens, s.opts.maxTokens)
	var stops []string
	if len(req.Stop) > 0 && string(req.Stop) != "null" {
		var err error
		if stops, err = oneOrMany(req.Stop); err != nil || len(stops) > 4 {
			return o, nil, badRequest("stop must be a string or a list of at most 4 strings")
		}
	}
	o.Stop = s.gen.text.StopAt(stops)
	return o, stops, nil
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
