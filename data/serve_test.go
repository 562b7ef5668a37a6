package data

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"acecoder/backend"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/rollout"
	"acecoder/serve"
)

// TestSampleRequestContinuesOnServe sends the sampling request to acecoder
// serve (a tiny random model): the completion equals that of the
// continued rendering (policy.RenderContinued) sent as a plain completion
// with the same seed, so serve continues the preamble in the assistant
// turn rather than opening a new one; with the turn closed it differs.
func TestSampleRequestContinuesOnServe(t *testing.T) {
	root := filepath.Join(repoRoot(t), "testdata")
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
	tmpl, _ := chat.ChatML()
	text := policy.Text{Tok: tok, Template: tmpl}
	s, err := serve.New(serve.Options{Engine: eng, Text: text, ModelName: "tiny", ValidVocab: min(tok.VocabSize(), cfg.VocabSize),
		MaxTokens: 12, BatchSize: 4, Concurrency: 2, MaxBody: 1 << 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	p, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := p.SampleMessages("Write f(x) returning x.", []string{"assert f(1) == 1", "assert f(2) == 2"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientConfig{Endpoint: srv.URL + "/v1", Model: "tiny"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seed := int64(7)
	req := ChatRequest{Messages: msgs, Temperature: 1, TopP: 1, MaxTokens: 12, Seed: &seed}
	cont, err := c.Chat(context.Background(), "q", req.continueLast())
	if err != nil {
		t.Fatal(err)
	}
	closed, err := c.Chat(context.Background(), "q", req)
	if err != nil {
		t.Fatal(err)
	}
	var cm []chat.Message
	for _, m := range msgs {
		cm = append(cm, chat.Message{"role": m.Role, "content": m.Content})
	}
	prompt, err := policy.RenderContinued(tmpl, cm)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"model": "tiny", "prompt": prompt, "temperature": 1, "top_p": 1, "max_tokens": 12, "seed": seed})
	resp, err := http.Post(srv.URL+"/v1/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var comp struct {
		Choices []struct {
			Text string `json:"text"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&comp); err != nil || len(comp.Choices) != 1 {
		t.Fatalf("completion: %v %+v", err, comp)
	}
	if got := cont.Choices[0].Message.Content; got != comp.Choices[0].Text {
		t.Errorf("continued chat %q, completion of the continued rendering %q", got, comp.Choices[0].Text)
	}
	if closed.Choices[0].Message.Content == cont.Choices[0].Message.Content {
		t.Error("a closed turn gave the same reply: the test cannot tell the renderings apart")
	}
}
