package data

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedServer answers each request with the next step of a script; the
// last step repeats.
type step struct {
	status     int
	retryAfter string
	delay      time.Duration
	body       string
}

func scriptedServer(t *testing.T, steps []step) (*httptest.Server, *[]time.Time, *atomic.Int32) {
	t.Helper()
	var mu sync.Mutex
	var times []time.Time
	var inFlight, maxInFlight atomic.Int32
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if cur <= m || maxInFlight.CompareAndSwap(m, cur) {
				break
			}
		}
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad path or key", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		times = append(times, time.Now())
		s := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		w.WriteHeader(s.status)
		w.Write([]byte(s.body))
	}))
	t.Cleanup(srv.Close)
	return srv, &times, &maxInFlight
}

func okBody(content string) string {
	b, _ := json.Marshal(ChatResponse{Choices: []ChatChoice{{Message: Message{Role: "assistant", Content: content}}}})
	return string(b)
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		wantErr  string
		wantReqs int
		minGap   time.Duration // lower bound between the first two requests
	}{
		{"ok", []step{{status: 200, body: okBody("hi")}}, "", 1, 0},
		{"429 honours Retry-After", []step{{status: 429, retryAfter: "1", body: "slow down"}, {status: 200, body: okBody("hi")}}, "", 2, time.Second},
		{"503 then ok", []step{{status: 503}, {status: 200, body: okBody("hi")}}, "", 2, 0},
		{"timeout then ok", []step{{status: 200, delay: 2 * time.Second, body: okBody("late")}, {status: 200, body: okBody("hi")}}, "", 2, 200 * time.Millisecond},
		{"400 not retried", []step{{status: 400, body: "bad"}}, "http 400", 1, 0},
		{"garbage not retried", []step{{status: 200, body: "<html>"}}, "bad response", 1, 0},
		{"gives up", []step{{status: 500, body: "boom"}}, "http 500", 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, times, _ := scriptedServer(t, tc.steps)
			fl, err := OpenFailureLog(filepath.Join(t.TempDir(), "f.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewClient(ClientConfig{Endpoint: srv.URL + "/v1", Model: "m", APIKey: "k", MaxRetries: 2,
				BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 200 * time.Millisecond}, fl)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Chat(context.Background(), "row", ChatRequest{Messages: []Message{{Role: "user", Content: "x"}}})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Chat: %v", err)
			case tc.wantErr == "" && resp.Choices[0].Message.Content != "hi":
				t.Errorf("content %q", resp.Choices[0].Message.Content)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if len(*times) != tc.wantReqs {
				t.Errorf("%d requests, want %d", len(*times), tc.wantReqs)
			}
			if tc.minGap > 0 && len(*times) > 1 && (*times)[1].Sub((*times)[0]) < tc.minGap {
				t.Errorf("retry after %v, want at least %v", (*times)[1].Sub((*times)[0]), tc.minGap)
			}
			if got := fl.Counts()["llm/attempt"]; got != tc.wantReqs-boolInt(tc.wantErr == "") {
				t.Errorf("%d failed attempts recorded, want %d", got, tc.wantReqs-boolInt(tc.wantErr == ""))
			}
			fl.Close()
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestClientConcurrencyAndCancel(t *testing.T) {
	srv, _, maxInFlight := scriptedServer(t, []step{{status: 200, delay: 30 * time.Millisecond, body: okBody("hi")}})
	c, err := NewClient(ClientConfig{Endpoint: srv.URL + "/v1", APIKey: "k", Concurrency: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Chat(context.Background(), "r", ChatRequest{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := maxInFlight.Load(); m != 2 {
		t.Errorf("max in flight %d, want 2", m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Chat(ctx, "r", ChatRequest{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Chat error = %v", err)
	}
}
