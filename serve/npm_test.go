package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acecoder/internal/e2e"
)

// The official openai npm client (pinned in testdata/openai-client) lists
// the model, gets a whole and a streamed chat completion with usage, uses
// the SDK's stream helper, streams a completion, reads log-probs, and sees
// OpenAI-shaped errors; the streamed text equals the whole answer's.
func TestOfficialOpenAINodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		e2e.Require(t, "node is not installed (apt-get install nodejs)")
	}
	dir := filepath.Join("testdata", "openai-client")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); err != nil {
		e2e.Require(t, "the openai npm package is not installed (npm ci --prefix serve/testdata/openai-client)")
	}
	base, log := testServer(t, nil)
	got := runNodeClient(t, node, dir, base, log)
	if len(got.Models) != 1 || got.Models[0].ID != "tiny" || got.Models[0].Created == 0 {
		t.Errorf("models %+v", got.Models)
	}
	if len(got.Whole) != 2 || len(got.Streamed) != 2 || got.Chunks < 6 {
		t.Fatalf("%d whole choices, %d streamed in %d chunks", len(got.Whole), len(got.Streamed), got.Chunks)
	}
	for i := range got.Whole {
		if got.Whole[i] != got.Streamed[i] {
			t.Errorf("choice %d: whole %+v, streamed %+v", i, got.Whole[i], got.Streamed[i])
		}
	}
	if got.StreamUsage["completion_tokens"] != got.WholeUsage["completion_tokens"] || got.StreamUsage["prompt_tokens"] == 0 {
		t.Errorf("usage: streamed %v, whole %v", got.StreamUsage, got.WholeUsage)
	}
	if got.Helper != got.Whole[0].Text {
		t.Errorf("the SDK's stream helper assembled %q, the first choice is %q", got.Helper, got.Whole[0].Text)
	}
	_, cmpl := post(t, base+"/completions", `{"prompt":"def add(a, b):","max_tokens":8,"temperature":0}`)
	if want := cmpl["choices"].([]any)[0].(map[string]any)["text"]; got.CompletionText != want {
		t.Errorf("streamed completion %q, whole %q", got.CompletionText, want)
	}
	if len(got.Logprobs) == 0 || got.Logprobs[0].Top != 2 || got.Logprobs[0].Logprob > 0 {
		t.Errorf("log-probs %+v", got.Logprobs)
	}
	if got.WrongModel["status"] != 404.0 || got.WrongModel["code"] != "model_not_found" || got.WrongModel["param"] != "model" {
		t.Errorf("wrong model: %v", got.WrongModel)
	}
	if got.JSONMode["status"] != 400.0 || got.JSONMode["code"] != "unsupported_parameter" {
		t.Errorf("json mode: %v", got.JSONMode)
	}
	if n := strings.Count(log.String(), "stream=true"); n != 3 {
		t.Errorf("%d streamed requests in the log, want 3:\n%s", n, log.String())
	}
}

// clientReport is what client.mjs prints.
type clientReport struct {
	Models []struct {
		ID      string
		Created int64
	}
	Whole, Streamed []struct {
		Index        int
		Text, Finish string
	}
	WholeUsage, StreamUsage map[string]int
	Chunks                  int
	Helper                  string
	CompletionText          string
	Logprobs                []struct {
		Token   string
		Logprob float64
		Top     int
	}
	WrongModel, JSONMode map[string]any
}

// runNodeClient runs client.mjs against the server at base.
func runNodeClient(t *testing.T, node, dir, base string, log *syncBuffer) clientReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs", base, "tiny")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client: %v\n%s\nserver log:\n%s", err, stderr.String(), log.String())
	}
	t.Logf("client saw: %s", stdout.String())
	var got clientReport
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("client output %q: %v", stdout.String(), err)
	}
	return got
}
