package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServe runs serve on a loopback port and returns its base URL and a
// stop function that checks the graceful shutdown.
func startServe(t *testing.T, o serveOptions) string {
	t.Helper()
	ln, err := listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, ln, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after shutdown", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	return "http://" + ln.Addr().String()
}

func postJSON(t *testing.T, url string, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: undecodable reply: %v", url, err)
	}
	return resp.StatusCode, out
}

func TestServeAnswersOpenAIClients(t *testing.T) {
	o := serveOptions{backend: "go", concurrency: 4, maxBody: 4096, maxTokens: 16, batch: 8, seed: 1}
	o.model.Path = rolloutModelDir(t)
	base := startServe(t, o)

	code, chat := postJSON(t, base+"/v1/chat/completions",
		`{"model":"x","messages":[{"role":"user","content":"Write add(a, b)."}],"n":3,"temperature":0.8,"max_tokens":8,"seed":5}`)
	if code != http.StatusOK {
		t.Fatalf("chat: status %d: %v", code, chat)
	}
	choices := chat["choices"].([]any)
	if len(choices) != 3 || chat["object"] != "chat.completion" {
		t.Fatalf("chat reply %v: want 3 choices", chat)
	}
	for _, c := range choices {
		c := c.(map[string]any)
		msg := c["message"].(map[string]any)
		if msg["role"] != "assistant" || (c["finish_reason"] != "stop" && c["finish_reason"] != "length") {
			t.Errorf("choice %v", c)
		}
	}
	if u := chat["usage"].(map[string]any); u["completion_tokens"].(float64) < 3 || u["prompt_tokens"].(float64) < 5 {
		t.Errorf("usage %v", u)
	}
	_, again := postJSON(t, base+"/v1/chat/completions",
		`{"messages":[{"role":"user","content":"Write add(a, b)."}],"n":3,"temperature":0.8,"max_tokens":8,"seed":5}`)
	if a, b := jsonOf(t, chat["choices"]), jsonOf(t, again["choices"]); a != b {
		t.Errorf("the same seed gave different choices:\n%s\n%s", a, b)
	}

	code, cmpl := postJSON(t, base+"/v1/completions", `{"prompt":["def add(a, b):","x ="],"max_tokens":4,"temperature":0,"stop":["\n"]}`)
	if code != http.StatusOK || len(cmpl["choices"].([]any)) != 2 || cmpl["object"] != "text_completion" {
		t.Fatalf("completions: status %d: %v", code, cmpl)
	}
	for _, c := range cmpl["choices"].([]any) {
		if text := c.(map[string]any)["text"].(string); strings.Contains(text, "\n") {
			t.Errorf("text %q runs past the stop string", text)
		}
	}

	// max_tokens above --max-tokens is clamped to it.
	code, long := postJSON(t, base+"/v1/completions", `{"prompt":"a","max_tokens":100000,"temperature":1}`)
	if n := long["usage"].(map[string]any)["completion_tokens"].(float64); code != http.StatusOK || n > 16 {
		t.Errorf("max_tokens 100000: status %d, %v tokens; want at most --max-tokens 16", code, n)
	}

	resp, err := http.Get(base + "/v1/models")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("models: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestServeRejectsBadRequests(t *testing.T) {
	o := serveOptions{backend: "go", concurrency: 2, maxBody: 256, maxTokens: 8, batch: 4, seed: 1}
	o.model.Path = rolloutModelDir(t)
	base := startServe(t, o)
	cases := []struct {
		name, path, body string
		code             int
	}{
		{"malformed json", "/v1/completions", `{"prompt":`, http.StatusBadRequest},
		{"body too large", "/v1/completions", `{"prompt":"` + strings.Repeat("a", 400) + `"}`, http.StatusRequestEntityTooLarge},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, http.StatusBadRequest},
		{"streaming", "/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"stream":true}`, http.StatusBadRequest},
		{"max_tokens below 1", "/v1/completions", `{"prompt":"a","max_tokens":0}`, http.StatusBadRequest},
		{"temperature out of range", "/v1/completions", `{"prompt":"a","temperature":3}`, http.StatusBadRequest},
		{"prompt of the wrong type", "/v1/completions", `{"prompt":5}`, http.StatusBadRequest},
		{"too many stops", "/v1/completions", `{"prompt":"a","stop":["a","b","c","d","e"]}`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postJSON(t, base+tc.path, tc.body)
			if code != tc.code || body["error"] == nil {
				t.Errorf("status %d, body %v: want %d with an error object", code, body, tc.code)
			}
		})
	}
	resp, err := http.Get(base + "/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

func TestServeListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "8.8.8.8:80", "nohost"} {
		if ln, err := listen(addr, false); err == nil {
			ln.Close()
			t.Errorf("listen(%q) accepted a non-loopback address", addr)
		}
	}
	ln, err := listen("localhost:0", false)
	if err != nil {
		t.Fatalf("listen on localhost: %v", err)
	}
	ln.Close()
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func FuzzOneOrMany(f *testing.F) {
	f.Add([]byte(`"a"`))
	f.Add([]byte(`["a","b"]`))
	f.Add([]byte(`5`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := oneOrMany(raw)
		if err != nil {
			return
		}
		back, _ := json.Marshal(got)
		if again, err := oneOrMany(back); err != nil || len(again) != len(got) {
			t.Errorf("%q → %q does not round-trip", raw, got)
		}
	})
}
