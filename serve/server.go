package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"acecoder/policy"
	"acecoder/rollout"
)

// Options configure a Server.
type Options struct {
	Engine *rollout.Engine
	Text   policy.Text
	// ModelName is the id the server answers to (GET /v1/models, and the
	// "model" a request must name when it names one).
	ModelName string
	// ValidVocab is the number of ids the tokenizer can produce.
	ValidVocab int
	// MaxTokens is the default max_tokens and the most a request gets
	// (larger requests are clamped, so clients written for remote
	// endpoints with long limits work unchanged).
	MaxTokens   int
	BatchSize   int   // rows decoded together
	Concurrency int   // requests in flight before 429
	MaxBody     int64 // largest request body in bytes
	Seed        int64 // requests without a seed get Seed+1, Seed+2, …
	Log         io.Writer
}

// Server answers OpenAI requests with one engine.
type Server struct {
	opts     Options
	sem      chan struct{}
	nextSeed atomic.Uint64
	reqID    atomic.Uint64
	created  int64      // the model object's "created": when the server started
	scoring  sync.Mutex // one top-log-prob forward pass at a time (it holds [len, vocab] logits)
	logMu    sync.Mutex
}

// New checks the options and returns a server.
func New(o Options) (*Server, error) {
	if o.Engine == nil || o.Text.Tok == nil {
		return nil, errors.New("serve: an engine and a tokenizer are needed")
	}
	if o.ModelName == "" || o.MaxTokens < 1 || o.MaxBody < 1 {
		return nil, fmt.Errorf("serve: model name %q, max tokens %d, max body %d: want a name and positive limits", o.ModelName, o.MaxTokens, o.MaxBody)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Server{opts: o, sem: make(chan struct{}, max(1, o.Concurrency)), created: time.Now().Unix()}
	s.nextSeed.Store(uint64(o.Seed))
	return s, nil
}

// Handler routes the API, logging one line per request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.limited(s.complete(true)))
	mux.HandleFunc("POST /v1/completions", s.limited(s.complete(false)))
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /v1/models/{id}", s.model)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, code: "not_found", msg: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)})
	})
	return s.logged(mux)
}

// Serve answers on ln until ctx ends, then lets the requests in flight
// finish (for up to 30 s) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Request contexts do not derive from ctx: on shutdown the requests in
	// flight finish rather than being cancelled.
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
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

// limited answers 429 when Concurrency requests are already in flight.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			writeError(w, &apiError{status: http.StatusTooManyRequests, code: "rate_limit_exceeded",
				msg: fmt.Sprintf("more than %d requests in flight; retry later", cap(s.sem))})
			return
		}
		h(w, r)
	}
}

func (s *Server) modelObject() map[string]any {
	return map[string]any{"id": s.opts.ModelName, "object": "model", "created": s.created, "owned_by": "acecoder"}
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []map[string]any{s.modelObject()}})
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	if err := s.checkModel(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.modelObject())
}

// checkModel answers 404 for a model other than the served one.
func (s *Server) checkModel(name string) error {
	if name == "" || name == s.opts.ModelName {
		return nil
	}
	return &apiError{status: http.StatusNotFound, code: "model_not_found", param: "model",
		msg: fmt.Sprintf("the model %q does not exist; this server serves %q", name, s.opts.ModelName)}
}

// complete answers one completion request, whole or streamed.
func (s *Server) complete(isChat bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := decode(r, w, s.opts.MaxBody, isChat)
		if err == nil {
			err = s.checkModel(req.Model)
		}
		var p *params
		if err == nil {
			p, err = s.validate(isChat, req)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		info := infoOf(r)
		info.stream = p.stream
		for _, ids := range p.prompts {
			info.promptTokens += len(ids)
		}
		if p.stream {
			s.stream(w, r, p, info)
			return
		}
		resp, err := s.answer(r.Context(), p, info)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// newID is a response id: prefix, time and a counter.
func (s *Server) newID(isChat bool) string {
	prefix := "cmpl-"
	if isChat {
		prefix = "chatcmpl-"
	}
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano(), s.reqID.Add(1))
}
