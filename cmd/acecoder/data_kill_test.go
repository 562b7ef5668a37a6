package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"acecoder/internal/cli"
)

// TestDataHelperProcess is not a test: the kill test below runs the test
// binary with ACECODER_DATA_HELPER set, and this runs the acecoder command
// line given in ACECODER_DATA_ARGS in that child process.
func TestDataHelperProcess(t *testing.T) {
	if os.Getenv("ACECODER_DATA_HELPER") != "1" {
		t.Skip("helper process for TestDataSynthSurvivesKill")
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("ACECODER_DATA_ARGS")), &args); err != nil {
		os.Exit(3)
	}
	os.Exit(cli.Run(context.Background(), newRoot(), args, os.Stderr))
}

// TestDataSynthSurvivesKill kills `acecoder data synth` with SIGKILL midway,
// runs it again, and expects the output of an uninterrupted run.
func TestDataSynthSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes; skipped with -short")
	}
	fn := regexp.MustCompile(`def (f\d+)\(`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		name := fn.FindStringSubmatch(req.Messages[len(req.Messages)-1].Content)[1]
		time.Sleep(20 * time.Millisecond)
		content := fmt.Sprintf(`{"question": "Write %s().", "tests": ["assert %s() == 1", "assert %s() != 2"]}`, name, name, name)
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": content}}}})
	}))
	defer srv.Close()
	dir := t.TempDir()
	var seeds strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&seeds, "{\"id\":\"s%02d\",\"program\":\"def f%d():\\n    return 1\\n\"}\n", i, i)
	}
	os.WriteFile(filepath.Join(dir, "seeds.jsonl"), []byte(seeds.String()), 0o644)
	synth := func(out string) *exec.Cmd {
		args, _ := json.Marshal([]string{"data", "synth", "-q", "--in", filepath.Join(dir, "seeds.jsonl"), "--out", out,
			"--endpoint", srv.URL, "--model", "m", "--workers", "3"})
		cmd := exec.Command(os.Args[0], "-test.run=^TestDataHelperProcess$")
		cmd.Env = append(os.Environ(), "ACECODER_DATA_HELPER=1", "ACECODER_DATA_ARGS="+string(args))
		return cmd
	}
	ref, killed := filepath.Join(dir, "ref.jsonl"), filepath.Join(dir, "killed.jsonl")
	if out, err := synth(ref).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	child := synth(killed)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(killed); bytes.Count(b, []byte("\n")) >= 10 {
			break
		}
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	b, _ := os.ReadFile(killed)
	if n := bytes.Count(b, []byte("\n")); n < 10 || n >= 60 {
		t.Fatalf("killed run left %d lines, want a part of the output", n)
	}
	if out, err := synth(killed).CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(ref)
	got, _ := os.ReadFile(killed)
	if !bytes.Equal(want, got) {
		t.Errorf("output after kill and rerun differs from the uninterrupted run:\nwant %d bytes, got %d", len(want), len(got))
	}
}
