package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// JobRunner executes programs against their tests: a *Runner, or a queue
// of execution workers.
type JobRunner interface {
	Run(ctx context.Context, jobs []Job) ([]Result, error)
}

// RewardServerOptions configures the reward handler.
type RewardServerOptions struct {
	Kind RewardKind // pass_rate (default) or binary
	// AllPassBonus is added to the reward of a program that passes every
	// test (the fork's serve_rm.py adds 0.5, binary or not).
	AllPassBonus float64
	// StripThink removes <think>…</think> blocks from each response before
	// its program is extracted (R1-style policies).
	StripThink bool
	// Questions holds the tests of query-only requests, keyed by the hash
	// of the question; nil refuses them.
	Questions *QuestionSet
	// RM, when set, scores every query with this reward model instead of
	// executing tests.
	RM            *RewardModel
	MaxBodyBytes  int64 // larger requests get 413; default 64 MiB
	MaxConcurrent int   // requests scored at once; others wait; default 4
	Logger        *slog.Logger
}

// rewardRequest is a remote reward request. query[i] is the full text
// (prompt + response) of sample i. OpenRLHF's labelled shape adds
// prompts[i] (its prompt) and labels[i] (its tests); the AceCoder fork
// sends query alone.
type rewardRequest struct {
	Query   []string          `json:"query"`
	Prompts []string          `json:"prompts"`
	Labels  []json.RawMessage `json:"labels"`
}

// rewardResponse is what OpenRLHF reads back: rewards (the training
// signal), scores (used for dynamic filtering; here the same values) and
// extra_logs (per-sample lists, logged by the trainer). The fork reads
// rewards only.
type rewardResponse struct {
	Rewards   []float64            `json:"rewards"`
	Scores    []float64            `json:"scores"`
	ExtraLogs map[string][]float64 `json:"extra_logs"`
}

// requestError is a request the server cannot score: 400.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{fmt.Sprintf(format, args...)}
}

// NewRewardHandler serves POST requests in the remote reward protocols:
// with labels, OpenRLHF's labelled shape; without, the fork's query-only
// shape, the tests found by the question in opts.Questions; with opts.RM,
// reward-model scores of the parsed conversations. r may be nil when
// opts.RM is set.
func NewRewardHandler(r JobRunner, opts RewardServerOptions) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 20
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &rewardHandler{r: r, opts: opts, sem: make(chan struct{}, opts.MaxConcurrent)}
	return http.HandlerFunc(h.serve)
}

type rewardHandler struct {
	r    JobRunner
	opts RewardServerOptions
	sem  chan struct{}
}

func (h *rewardHandler) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		httpError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	var body rewardRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, h.opts.MaxBodyBytes))
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", h.opts.MaxBodyBytes))
			return
		}
		httpError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	case <-req.Context().Done():
		return
	}
	resp, err := h.score(req.Context(), body)
	var re *requestError
	switch {
	case errors.As(err, &re):
		httpError(w, http.StatusBadRequest, re.msg)
	case err != nil:
		h.opts.Logger.Error("reward: scoring failed", "err", err)
		httpError(w, http.StatusInternalServerError, err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}
}

// score dispatches a request to the reward model, its labels or the
// question set.
func (h *rewardHandler) score(ctx context.Context, body rewardRequest) (rewardResponse, error) {
	if h.opts.RM != nil {
		return h.rmScores(ctx, body.Query)
	}
	var jobs []Job
	var err error
	switch {
	case body.Labels != nil:
		jobs, err = labelledJobs(body, h.opts.StripThink)
	case h.opts.Questions != nil:
		jobs, err = queryJobs(body.Query, h.opts.Questions, h.opts.StripThink)
	default:
		err = badRequest("the request has no labels and this server has no --dataset to look its questions up in")
	}
	if err != nil || len(jobs) == 0 {
		return buildResponse(nil, h.opts), err
	}
	results, err := h.r.Run(ctx, jobs)
	if err != nil {
		return rewardResponse{}, err
	}
	return buildResponse(results, h.opts), nil
}

// ServedReward is the reward of a result as the server computes it: the
// rule reward, plus bonus when every test passed.
func ServedReward(r Result, kind RewardKind, bonus float64) float64 {
	v := RuleReward(r, kind)
	if r.AllPassed {
		v += bonus
	}
	return v
}

func buildResponse(results []Result, opts RewardServerOptions) rewardResponse {
	resp := rewardResponse{
		Rewards: make([]float64, len(results)), Scores: make([]float64, len(results)),
		ExtraLogs: map[string][]float64{"pass_rate": {}, "all_passed": {}, "tests": {}},
	}
	for i, res := range results {
		resp.Rewards[i] = ServedReward(res, opts.Kind, opts.AllPassBonus)
		resp.Scores[i] = resp.Rewards[i]
		all := 0.0
		if res.AllPassed {
			all = 1
		}
		resp.ExtraLogs["pass_rate"] = append(resp.ExtraLogs["pass_rate"], res.PassRate)
		resp.ExtraLogs["all_passed"] = append(resp.ExtraLogs["all_passed"], all)
		resp.ExtraLogs["tests"] = append(resp.ExtraLogs["tests"], float64(res.Total))
	}
	return resp
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// ServeReward serves h on ln until ctx is done, then shuts down
// gracefully: it stops accepting and waits up to grace for requests in
// flight.
func ServeReward(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("reward: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("reward: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("reward: serve: %w", err)
	}
	return nil
}
