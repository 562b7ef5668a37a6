package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"acecoder/backend"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/rollout"
)

// syncBuffer is a log sink the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer runs a server for a random tiny Qwen2 with the tiny512
// tokenizer and ChatML on a real loopback port; it returns the base URL
// (…/v1) and the server's log.
func testServer(t *testing.T, edit func(*Options)) (string, *syncBuffer) {
	t.Helper()
	root := filepath.Join("..", "testdata")
	cfg, err := policy.LoadConfig(filepath.Join(root, "models", "tiny-qwen2", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := policy.New(backend.MustOpenGo(), cfg, policy.InitOptions{Seed: 1, Std: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rollout.New(m)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadDir(filepath.Join(root, "tokenizer", "tiny512"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.ChatML()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	o := Options{Engine: eng, Text: policy.Text{Tok: tok, Template: tmpl}, ModelName: "tiny",
		ValidVocab: min(tok.VocabSize(), cfg.VocabSize), MaxTokens: 16, BatchSize: 8, Concurrency: 4, MaxBody: 4096, Seed: 1, Log: log}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v after shutdown", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("the server did not shut down")
		}
	})
	return "http://" + ln.Addr().String() + "/v1", log
}

// post sends a JSON body and decodes a JSON answer.
func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: undecodable answer: %v", url, err)
	}
	return resp.StatusCode, out
}

// events posts a streaming request and returns the decoded data events
// and whether the stream ended with [DONE].
func events(t *testing.T, url, body string) (status int, evs []map[string]any, done bool, contentType string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		if done {
			t.Fatalf("event after [DONE]: %q", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		evs = append(evs, ev)
	}
	return resp.StatusCode, evs, done, resp.Header.Get("Content-Type")
}

// streamed joins a stream's text per choice and collects finish reasons.
func streamed(t *testing.T, evs []map[string]any, isChat bool) (text map[int]string, finish map[int]string, usage map[string]any) {
	t.Helper()
	text, finish = map[int]string{}, map[int]string{}
	for _, ev := range evs {
		if u, ok := ev["usage"].(map[string]any); ok {
			usage = u
		}
		for _, c := range ev["choices"].([]any) {
			c := c.(map[string]any)
			i := int(c["index"].(float64))
			if isChat {
				if s, ok := c["delta"].(map[string]any)["content"].(string); ok {
					text[i] += s
				}
			} else {
				text[i] += c["text"].(string)
			}
			if f, ok := c["finish_reason"].(string); ok {
				if finish[i] != "" {
					t.Errorf("choice %d finished twice", i)
				}
				finish[i] = f
			}
		}
	}
	return text, finish, usage
}
