package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"acecoder/extract"
)

// RewardServerOptions configures the OpenRLHF-compatible reward handler.
type RewardServerOptions struct {
	Kind          RewardKind // pass_rate (default) or binary
	MaxBodyBytes  int64      // larger requests get 413; default 64 MiB
	MaxConcurrent int        // requests scored at once; others wait; default 4
	Logger        *slog.Logger
}

// rewardRequest is OpenRLHF's remote reward request: query[i] is the full
// text (prompt + response) of sample i, prompts[i] its prompt, labels[i]
// its tests.
type rewardRequest struct {
	Query   []string          `json:"query"`
	Prompts []string          `json:"prompts"`
	Labels  []json.RawMessage `json:"labels"`
}

// rewardResponse is what OpenRLHF reads back: rewards (the training
// signal), scores (used for dynamic filtering; here the same values) and
// extra_logs (per-sample lists, logged by the trainer).
type rewardResponse struct {
	Rewards   []float64            `json:"rewards"`
	Scores    []float64            `json:"scores"`
	ExtraLogs map[string][]float64 `json:"extra_logs"`
}

// label is what a label may hold: a list of asserts, a JSON string holding
// such a list, or an object with tests (and optional setup/entry point).
type label struct {
	Tests      []string `json:"tests"`
	Setup      string   `json:"setup"`
	EntryPoint string   `json:"entry_point"`
}

// parseLabel accepts ["assert ...", ...], "[\"assert ...\"]" (a JSON string
// holding the list) or {"tests": [...], "setup": "...", "entry_point": "..."}.
func parseLabel(raw json.RawMessage) (label, error) {
	var l label
	for depth := 0; depth < 3; depth++ {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			raw = json.RawMessage(s)
			continue
		}
		if json.Unmarshal(raw, &l.Tests) == nil && l.Tests != nil {
			return l, nil
		}
		if err := json.Unmarshal(raw, &l); err == nil && l.Tests != nil {
			return l, nil
		}
		break
	}
	return l, errors.New("label is not a list of asserts, a JSON string holding one, or {\"tests\": [...]}")
}

// NewRewardHandler serves POST requests in OpenRLHF's remote reward format.
// The program is extracted from each response (query minus its prompt)
// with ExtractProgram.
func NewRewardHandler(r *Runner, opts RewardServerOptions) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 20
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	sem := make(chan struct{}, opts.MaxConcurrent)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			httpError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		var body rewardRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, opts.MaxBodyBytes))
		if err := dec.Decode(&body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", opts.MaxBodyBytes))
				return
			}
			httpError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
			return
		}
		jobs, err := requestJobs(body)
		if err != nil {
			httpError(w, http.StatusBadRequest, err.Error())
			return
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-req.Context().Done():
			return
		}
		results, err := r.Run(req.Context(), jobs)
		if err != nil {
			opts.Logger.Error("reward: scoring failed", "err", err)
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(buildResponse(results, opts.Kind))
	})
}

func requestJobs(body rewardRequest) ([]Job, error) {
	if len(body.Labels) != len(body.Query) {
		return nil, fmt.Errorf("%d queries but %d labels", len(body.Query), len(body.Labels))
	}
	if len(body.Prompts) != 0 && len(body.Prompts) != len(body.Query) {
		return nil, fmt.Errorf("%d queries but %d prompts", len(body.Query), len(body.Prompts))
	}
	jobs := make([]Job, len(body.Query))
	for i, q := range body.Query {
		l, err := parseLabel(body.Labels[i])
		if err != nil {
			return nil, fmt.Errorf("labels[%d]: %w", i, err)
		}
		response := q
		if i < len(body.Prompts) {
			response = strings.TrimPrefix(q, body.Prompts[i])
		}
		entry := l.EntryPoint
		if entry == "" {
			entry = extract.EntryFromTests(l.Tests)
		}
		jobs[i] = Job{ID: fmt.Sprint(i), Program: extract.Program(response, entry), Tests: l.Tests, Setup: l.Setup}
	}
	return jobs, nil
}

func buildResponse(results []Result, kind RewardKind) rewardResponse {
	resp := rewardResponse{
		Rewards: make([]float64, len(results)), Scores: make([]float64, len(results)),
		ExtraLogs: map[string][]float64{"pass_rate": {}, "all_passed": {}, "tests": {}},
	}
	for i, res := range results {
		resp.Rewards[i] = RuleReward(res, kind)
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
