package data

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"acecoder/rewards"
)

// pipeline holds what the stages of one end-to-end run share.
type pipeline struct {
	dir      string
	client   *Client
	prompts  *Prompts
	exec     Executor
	failures *FailureLog
}

func newPipeline(t *testing.T, srv *replayServer, exec Executor, dir string) *pipeline {
	t.Helper()
	fl, err := OpenFailureLog(filepath.Join(dir, "failures.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fl.Close() })
	c, err := NewClient(ClientConfig{Endpoint: srv.URL + "/v1", Model: "replayed-model", APIKey: "test-key",
		Concurrency: 4, MaxRetries: 3, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Timeout: 500 * time.Millisecond}, fl)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPrompts()
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline{dir: dir, client: c, prompts: p, exec: exec, failures: fl}
}

func (p *pipeline) path(name string) string { return filepath.Join(p.dir, name) }

func (p *pipeline) sio(in, out string) StageIO {
	return StageIO{Input: in, Output: p.path(out), Failures: p.failures, Workers: 3}
}

func (p *pipeline) synth(ctx context.Context, t *testing.T) (*Summary, error) {
	seeds := filepath.Join(repoRoot(t), "testdata", "data", "seeds.jsonl")
	return Synth(ctx, SynthConfig{StageIO: p.sio(seeds, "questions.jsonl"), Client: p.client, Prompts: p.prompts, Temperature: 0.7})
}

func (p *pipeline) filter(ctx context.Context) (*Summary, error) {
	return Filter(ctx, FilterConfig{StageIO: p.sio(p.path("questions.jsonl"), "filtered.jsonl"), Oracle: OracleProgram, Executor: p.exec, MinTests: 5})
}

func (p *pipeline) sample(ctx context.Context) (*Summary, error) {
	return Sample(ctx, SampleConfig{StageIO: p.sio(p.path("filtered.jsonl"), "sampled.jsonl"), Client: p.client, Prompts: p.prompts,
		Executor: p.exec, N: 4, Temperature: 0.7, TopP: 1.0, ShownTests: 2})
}

func e2eExecutor(t *testing.T) Executor {
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2, Timeout: time.Second, ProgramTimeout: 3 * time.Second})
	if err != nil {
		t.Fatalf("rewards.NewRunner: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return NewRunnerExecutor(r)
}

func readRows[T any](t *testing.T, path string) []T {
	t.Helper()
	var out []T
	bad, err := ReadJSONL(context.Background(), path, func(_ int, r T) error { out = append(out, r); return nil })
	if err != nil || len(bad) > 0 {
		t.Fatalf("read %s: %v %v", path, err, bad)
	}
	return out
}

// must fails the test on a stage error: must(t)(Stage(...)).
func must(t *testing.T) func(*Summary, error) *Summary {
	return func(s *Summary, err error) *Summary {
		t.Helper()
		if err != nil {
			t.Fatalf("stage: %v", err)
		}
		return s
	}
}

// TestEndToEnd runs synth → filter → sample → pairs → hard against the
// replay server with the sandboxed runner, then checks resumption.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end pipeline runs Python programs; skipped with -short")
	}
	ctx := context.Background()
	exec := e2eExecutor(t)
	srv := newReplayServer(t)
	p := newPipeline(t, srv, exec, t.TempDir())

	syn := must(t)(p.synth(ctx, t))
	checkSummary(t, syn, Summary{Read: 6, Written: 5, Failed: 1, Malformed: 2})
	questions := readRows[QuestionRow](t, p.path("questions.jsonl"))
	if got := ids(questions, func(q QuestionRow) string { return q.ID }); !cmp.Equal(got, []string{"add", "pal", "fib", "vowels", "rev"}) {
		t.Errorf("synth ids %v", got)
	}
	if strings.Contains(questions[0].Program, "print(") || !strings.Contains(questions[0].Program, "pass") {
		t.Errorf("prints not stripped from seed: %q", questions[0].Program)
	}
	if n := len(questions[1].Tests); n != 6 || questions[1].Tests[n-1] != "assert is_palindrome('No lemon, no melon') == True" {
		t.Errorf("truncated reply: want the 6 complete tests, got %q", questions[1].Tests)
	}
	checkFailures(t, p.path("failures.jsonl"))

	fil := must(t)(p.filter(ctx))
	checkSummary(t, fil, Summary{Read: 5, Written: 4, Dropped: 1})
	wantCounts := map[string]float64{"questions before": 5, "tests before": 30, "questions after": 4, "tests after": 23, "dropped: too few tests": 1}
	if diff := cmp.Diff(wantCounts, fil.Counts); diff != "" {
		t.Errorf("filter counts (-want +got):\n%s", diff)
	}

	sam := must(t)(p.sample(ctx))
	checkSummary(t, sam, Summary{Read: 4, Written: 4})
	checkPassRates(t, srv, readRows[AceCodeRow](t, p.path("sampled.jsonl")))

	pairs := must(t)(Pairs(ctx, PairsConfig{Input: p.path("sampled.jsonl"), Output: p.path("pairs.jsonl"),
		FactoryOutput: p.path("pairs_factory.jsonl"), ParquetOutput: p.path("pairs.parquet"), Rule: DefaultPairRule()}))
	if pairs.Written != 9 {
		t.Errorf("pairs written %d, want 9 (2 add, 1 pal, 2 fib, 4 vowels)", pairs.Written)
	}
	for _, pr := range readRows[PairRow](t, p.path("pairs.jsonl")) {
		if pr.ChosenPassRate < 0.8 || pr.RejectedPassRate <= 0 || pr.ChosenPassRate-pr.RejectedPassRate < 0.4-1e-9 {
			t.Errorf("pair breaks the rule: %+v", pr)
		}
	}
	if tbl, err := Stats(ctx, p.path("pairs.parquet")); err != nil || tbl.All.Pairs != 9 {
		t.Errorf("pairs parquet stats %+v, %v", tbl, err)
	}

	checkTable(t, p.path("sampled.jsonl"), map[string]Subset{
		"evol": {Examples: 1, Tests: 5, Programs: 4}, "oss": {Examples: 2, Tests: 12, Programs: 8}, "stack": {Examples: 1, Tests: 6, Programs: 4}})
	checkTable(t, p.path("pairs.jsonl"), map[string]Subset{"evol": {Pairs: 2}, "oss": {Pairs: 5}, "stack": {Pairs: 2}})

	hard := must(t)(Hard(ctx, HardConfig{Input: p.path("sampled.jsonl"), Output: p.path("hard.jsonl"), ParquetOutput: p.path("hard.parquet")}))
	if tbl, err := Stats(ctx, p.path("hard.parquet")); err != nil || tbl.All.Examples != 2 || tbl.All.Programs != 8 {
		t.Errorf("hard parquet stats %+v, %v", tbl, err)
	}
	got := ids(readRows[AceCodeRow](t, p.path("hard.jsonl")), func(r AceCodeRow) string { return r.ID })
	if !cmp.Equal(got, []string{"add", "fib"}) || hard.Dropped != 2 {
		t.Errorf("hard subset %v (dropped %d), want [add fib]", got, hard.Dropped)
	}

	t.Run("filter with the endpoint as oracle", func(t *testing.T) {
		p4 := newPipeline(t, srv, exec, t.TempDir())
		s := must(t)(Filter(ctx, FilterConfig{StageIO: p4.sio(p.path("questions.jsonl"), "filtered.jsonl"), Oracle: OracleEndpoint,
			Client: p4.client, Prompts: p4.prompts, Executor: exec, MinTests: 5}))
		// The replayed oracle answers with each question's first (correct)
		// completion; "rev" has no recording, so its request fails (404).
		checkSummary(t, s, Summary{Read: 5, Written: 4, Failed: 1})
		want := readRows[FilteredRow](t, p.path("filtered.jsonl"))
		got := readRows[FilteredRow](t, p4.path("filtered.jsonl"))
		for i := range want {
			if !cmp.Equal(want[i].Tests, got[i].Tests) {
				t.Errorf("%s: kept %q, want %q", got[i].ID, got[i].Tests, want[i].Tests)
			}
		}
	})

	t.Run("synth cancelled midway then rerun", func(t *testing.T) {
		srv2 := newReplayServer(t)
		p2 := newPipeline(t, srv2, exec, t.TempDir())
		cctx, cancel := context.WithCancel(ctx)
		// Cancel once the first rows are on disk and later ones in flight.
		srv2.onSynth = func(match string) {
			if match == "def rev(" {
				waitLines(p2.path("questions.jsonl"), 2)
				cancel()
			}
		}
		if _, err := p2.synth(cctx, t); err == nil {
			t.Fatal("cancelled synth returned no error")
		}
		t.Logf("cancelled run left %d rows", countLines(t, p2.path("questions.jsonl")))
		if n := countLines(t, p2.path("questions.jsonl")); n < 2 || n >= 5 {
			t.Fatalf("cancelled run wrote %d rows, want a prefix of 2 to 4", n)
		}
		srv2.onSynth = nil
		must(t)(p2.synth(ctx, t))
		sameFile(t, p.path("questions.jsonl"), p2.path("questions.jsonl"))
	})

	t.Run("sample rerun after a torn last line", func(t *testing.T) {
		dir := t.TempDir()
		p3 := newPipeline(t, srv, exec, dir)
		copyFile(t, p.path("filtered.jsonl"), p3.path("filtered.jsonl"))
		full, _ := os.ReadFile(p.path("sampled.jsonl"))
		lines := bytes.SplitAfter(full, []byte("\n"))
		torn := append(bytes.Join(lines[:2], nil), lines[2][:len(lines[2])/2]...)
		os.WriteFile(p3.path("sampled.jsonl"), torn, 0o644)
		s := must(t)(p3.sample(ctx))
		checkSummary(t, s, Summary{Read: 4, Skipped: 2, Written: 2})
		sameFile(t, p.path("sampled.jsonl"), p3.path("sampled.jsonl"))
	})
}

// checkTable compares the per-source Table-1 numbers of a stage output.
func checkTable(t *testing.T, path string, want map[string]Subset) {
	t.Helper()
	tbl, err := Stats(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Subset{}
	for k, v := range tbl.BySource {
		got[k] = *v
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats of %s by source (-want +got):\n%s\n%s", path, diff, tbl)
	}
}

func checkSummary(t *testing.T, got *Summary, want Summary) {
	t.Helper()
	g := Summary{Read: got.Read, Skipped: got.Skipped, Written: got.Written, Dropped: got.Dropped, Failed: got.Failed, Malformed: got.Malformed}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("%s summary (-want +got):\n%s\n%s", got.Stage, diff, got)
	}
}

// checkFailures expects the retried attempts (429, timeout, 500) and the
// final failure of the refused seed, each with its reason.
func checkFailures(t *testing.T, path string) {
	t.Helper()
	var reasons []string
	for _, f := range readRows[Failure](t, path) {
		reasons = append(reasons, f.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"http 429", "request timed out", "http 500", "unusable reply"} {
		if !strings.Contains(all, want) {
			t.Errorf("failures log lacks %q:\n%s", want, all)
		}
	}
}

func checkPassRates(t *testing.T, srv *replayServer, rows []AceCodeRow) {
	t.Helper()
	for _, r := range rows {
		if len(r.ContextMessages) != 1 || r.ContextMessages[0] != (Message{Role: "user", Content: r.Question}) {
			t.Errorf("%s: context_messages %+v, want the question as the one user turn", r.ID, r.ContextMessages)
		}
		prompt := ""
		for _, rec := range srv.rec.Sample {
			if !strings.Contains(r.Question, rec.Match) {
				continue
			}
			prompt = srv.prompts[rec.Match]
			if len(r.Inferences) != len(rec.PassRates) {
				t.Fatalf("%s: %d inferences", r.ID, len(r.Inferences))
			}
			for i, inf := range r.Inferences {
				if math.Abs(inf.PassRate-rec.PassRates[i]) > 1e-9 || len(inf.TestResults) != len(r.TestCases) {
					t.Errorf("%s completion %d: pass rate %v, want %v", r.ID, i, inf.PassRate, rec.PassRates[i])
				}
			}
		}
		if !strings.Contains(prompt, "\"\"\"\n"+r.Question+"\n"+r.TestCases[0]+"\n"+r.TestCases[1]+"\n\"\"\"\n```\n") || strings.Contains(prompt, r.TestCases[2]) {
			t.Errorf("%s: prompt does not show exactly the first two tests:\n%s", r.ID, prompt)
		}
	}
}

func ids[T any](rows []T, id func(T) string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func sameFile(t *testing.T, want, got string) {
	t.Helper()
	a, _ := os.ReadFile(want)
	b, _ := os.ReadFile(got)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("%s differs from the uninterrupted run's %s:\n%s", got, want, cmp.Diff(string(a), string(b)))
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	n, err := CountLines(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitLines waits up to 10 s for path to hold at least n lines.
func waitLines(path string, n int) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if k, err := CountLines(path); err == nil && k >= n {
			return
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
