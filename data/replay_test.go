package data

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The replay server answers chat requests with recorded-style endpoint
// replies from testdata/data/replay.json: fenced, truncated and malformed
// JSON, slow replies, 429 with Retry-After and 500s for synthesis, and
// sampled completions for programs. It runs on loopback over real HTTP.

type replayReply struct {
	Status     int             `json:"status"`
	Body       json.RawMessage `json:"body"`
	Text       string          `json:"text"`
	RetryAfter string          `json:"retry_after"`
	DelayMS    int             `json:"delay_ms"`
}

type replayFile struct {
	Synth []struct {
		Match   string        `json:"match"`
		Replies []replayReply `json:"replies"`
	} `json:"synth"`
	Sample []struct {
		Match       string    `json:"match"`
		Completions []string  `json:"completions"`
		PassRates   []float64 `json:"pass_rates"`
	} `json:"sample"`
}

type replayServer struct {
	*httptest.Server
	rec replayFile
	t   *testing.T

	mu       sync.Mutex
	served   map[string]int // synth replies served per match
	requests int
	prompts  map[string]string  // last sampling prompt per match
	onSynth  func(match string) // called before answering a synthesis request
}

// repoRoot walks up from the working directory to the folder with go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func newReplayServer(t *testing.T) *replayServer {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "data", "replay.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &replayServer{t: t, served: map[string]int{}, prompts: map[string]string{}}
	if err := json.Unmarshal(raw, &s.rec); err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *replayServer) handle(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, "unknown path or key", http.StatusUnauthorized)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if req.Messages[0].Role == "system" {
		s.synth(w, r, req)
		return
	}
	s.sample(w, req)
}

func (s *replayServer) synth(w http.ResponseWriter, r *http.Request, req ChatRequest) {
	user := req.Messages[len(req.Messages)-1].Content
	if req.Messages[0].Content != "You are an AI assistant that helps people with python coding tasks." || req.Temperature != 0.7 {
		http.Error(w, "unexpected system message or temperature", http.StatusBadRequest)
		return
	}
	for _, e := range s.rec.Synth {
		if !strings.Contains(user, e.Match) {
			continue
		}
		if s.onSynth != nil {
			s.onSynth(e.Match)
		}
		s.mu.Lock()
		rep := e.Replies[min(s.served[e.Match], len(e.Replies)-1)]
		s.served[e.Match]++
		s.mu.Unlock()
		select {
		case <-time.After(time.Duration(rep.DelayMS) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		w.WriteHeader(rep.Status)
		if rep.Status == http.StatusOK {
			w.Write(rep.Body)
		} else {
			w.Write([]byte(rep.Text))
		}
		return
	}
	http.Error(w, "no recording for this prompt", http.StatusNotFound)
}

func (s *replayServer) sample(w http.ResponseWriter, req ChatRequest) {
	if len(req.Messages) != 2 || req.Messages[1].Role != "assistant" || req.TopP != 1.0 {
		http.Error(w, "sampling request without prefilled assistant turn or top_p 1", http.StatusBadRequest)
		return
	}
	if !req.ContinueFinalMessage || req.AddGenerationPrompt == nil || *req.AddGenerationPrompt {
		http.Error(w, "sampling request does not ask to continue the assistant turn", http.StatusBadRequest)
		return
	}
	user := req.Messages[0].Content
	for _, e := range s.rec.Sample {
		if !strings.Contains(user, e.Match) {
			continue
		}
		s.mu.Lock()
		s.prompts[e.Match] = user
		s.mu.Unlock()
		var resp ChatResponse
		for i := 0; i < min(max(req.N, 1), len(e.Completions)); i++ {
			resp.Choices = append(resp.Choices, ChatChoice{Index: i, Message: Message{Role: "assistant", Content: e.Completions[i]}, FinishReason: "stop"})
		}
		json.NewEncoder(w).Encode(resp)
		return
	}
	http.Error(w, "no recording for this question", http.StatusNotFound)
}
