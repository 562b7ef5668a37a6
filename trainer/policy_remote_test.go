package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/policy/chat"
	"acecoder/rewards"
)

// remoteItems renders n digit prompts with the tiny model's ChatML
// template and pairs them with completions "x=0", "x=1", ...
func remoteItems(t *testing.T, n int) (*RemoteRewarder, []RewardItem) {
	t.Helper()
	tm := tinyTextModel(t, 1)
	ids, err := tm.ChatPrompt([]chat.Message{{"role": "user", "content": digitQuestion}}, "")
	if err != nil {
		t.Fatal(err)
	}
	p := &Prompt{ID: "d", Question: digitQuestion, Tests: digitTests, IDs: ids}
	items := make([]RewardItem, n)
	for i := range items {
		items[i] = RewardItem{Prompt: p, Completion: "x=" + string(rune('0'+i))}
	}
	return &RemoteRewarder{Text: tm.Text, Timeout: time.Second, Backoff: 10 * time.Millisecond}, items
}

// recordingServer answers each query with its index in the request plus
// base, and records the requests.
func recordingServer(t *testing.T, base float64) (*httptest.Server, *[]remoteRequest) {
	var mu sync.Mutex
	var got []remoteRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req remoteRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		rs := make([]float64, len(req.Query))
		for i := range rs {
			rs[i] = base + float64(i)
		}
		json.NewEncoder(w).Encode(map[string]any{"rewards": rs})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// Two URLs share a rollout in contiguous parts; the query is the rendered
// prompt, special tokens kept, then the completion; rewards come back in
// order; without extra_logs the pass rate is unknown (−1).
func TestRemoteRewarderSplitsAndRenders(t *testing.T) {
	rw, items := remoteItems(t, 5)
	a, gotA := recordingServer(t, 0)
	b, gotB := recordingServer(t, 10)
	rw.URLs = []string{a.URL, b.URL}
	out, err := rw.Reward(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 1, 2, 10, 11}
	for i, r := range out {
		if r.Reward != want[i] || r.PassRate != -1 {
			t.Errorf("item %d: %+v, want reward %v and pass rate −1", i, r, want[i])
		}
	}
	if len(*gotA) != 1 || len(*gotB) != 1 || len((*gotA)[0].Query) != 3 || len((*gotB)[0].Query) != 2 {
		t.Fatalf("requests %v / %v: want 3 and 2 queries", *gotA, *gotB)
	}
	wantQuery := "<|im_start|>user\n" + digitQuestion + "<|im_end|>\n<|im_start|>assistant\nx=3"
	if q := (*gotB)[0].Query[0]; q != wantQuery {
		t.Errorf("query %q, want %q", q, wantQuery)
	}
	if (*gotA)[0].Labels != nil || (*gotA)[0].Prompts != nil {
		t.Error("labels sent without Labels")
	}
}

// Against acecoder's own reward handler: the fork's query-only mode (tests
// found by the question) and OpenRLHF's labelled mode give the same
// rewards, with pass rates from extra_logs.
func TestRemoteRewarderAgainstRewardServer(t *testing.T) {
	runner := newTestRunner(t)
	qs := rewards.NewQuestionSet()
	qs.Add("d", digitQuestion, digitTests)
	// x=7 passes all 5 tests, x=2 two of them, x=9 three.
	want := []SampleReward{{Reward: 1.5, PassRate: 1, AllPassed: true}, {Reward: 0.4, PassRate: 0.4}, {Reward: 0.6, PassRate: 0.6}}
	for _, labels := range []bool{false, true} {
		opts := rewards.RewardServerOptions{AllPassBonus: 0.5}
		if !labels {
			opts.Questions = qs
		}
		srv := httptest.NewServer(rewards.NewRewardHandler(runner, opts))
		rw, items := remoteItems(t, 3)
		items[0].Completion, items[1].Completion, items[2].Completion = "x=7", "x=2", "x=9"
		rw.URLs, rw.Labels = []string{srv.URL}, labels
		got, err := rw.Reward(context.Background(), items)
		srv.Close()
		if err != nil {
			t.Fatalf("labels %v: %v", labels, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("labels %v (-want +got):\n%s", labels, diff)
		}
	}
}

func TestRemoteRewarderFailures(t *testing.T) {
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			http.Error(w, `{"error": "busy"}`, http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"rewards": []float64{1, 1}})
	}))
	defer flaky.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error": "1 of 2 queries ask a question that is not in the dataset"}`, http.StatusBadRequest)
	}))
	defer bad.Close()
	short := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"rewards": []float64{1}})
	}))
	defer short.Close()

	tests := []struct {
		name      string
		url       string
		retries   int
		wantErr   []string
		wantCalls int32
	}{
		{"5xx retried until it passes", flaky.URL, 2, nil, 3},
		{"5xx retries run out", flaky.URL, 1, []string{flaky.URL, "2 attempts", "http 503", "busy"}, 2},
		{"timeout", slow.URL, 0, []string{slow.URL, "no answer within 100ms"}, 0},
		{"400 not retried", bad.URL, 3, []string{bad.URL, "1 attempt:", "http 400", "not in the dataset"}, 1},
		{"wrong count", short.URL, 3, []string{short.URL, "1 rewards for 2 queries"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			rw, items := remoteItems(t, 2)
			rw.URLs, rw.Retries, rw.Timeout = []string{tc.url}, tc.retries, 100*time.Millisecond
			_, err := rw.Reward(context.Background(), items)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("error %v", err)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to say %q", err, w)
				}
			}
			if tc.wantCalls > 0 && calls.Load() != tc.wantCalls {
				t.Errorf("%d requests, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}

// remote_rm_url: comma-separated, OpenRLHF's rule: prefix dropped.
func TestRemoteURLs(t *testing.T) {
	got, err := configs.RemoteURLs("rule:http://127.0.0.1:5000/get_reward, http://h2:5000/get_reward")
	if err != nil || !cmp.Equal(got, []string{"http://127.0.0.1:5000/get_reward", "http://h2:5000/get_reward"}) {
		t.Errorf("RemoteURLs = %v, %v", got, err)
	}
	for _, bad := range []string{"", " , ", "ftp://x/y", "localhost:5000"} {
		if _, err := configs.RemoteURLs(bad); err == nil {
			t.Errorf("RemoteURLs(%q): no error", bad)
		}
	}
}

// The rule rewarder with the fork's options: <think> dropped before the
// program is read, and 0.5 added when every test passes.
func TestRuleRewarderThinkAndBonus(t *testing.T) {
	_, items := remoteItems(t, 2)
	items[0].Completion = "<think>\n```python\nx = 2  # a first try, longer than the answer\n```\n</think>\n```python\nx = 7\n```"
	items[1].Completion = "x=2"
	for _, tc := range []struct {
		strip bool
		want  []float64
	}{{true, []float64{1.5, 0.4}}, {false, []float64{0.4, 0.4}}} {
		rw := RuleRewarder{Runner: newTestRunner(t), Kind: rewards.RewardPassRate, Bonus: 0.5, StripThink: tc.strip, Timeout: 2 * time.Second}
		got, err := rw.Reward(context.Background(), items)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Reward != tc.want[0] || got[1].Reward != tc.want[1] {
			t.Errorf("strip %v: rewards %v, %v; want %v", tc.strip, got[0].Reward, got[1].Reward, tc.want)
		}
	}
}

func TestMicroScale(t *testing.T) {
	tests := []struct {
		name                    string
		agg                     LossAgg
		mb, part, batch, nMicro int
		scale, perSample        float64
	}{
		// 10 samples in micro-batches of 4: 4, 4, 2.
		{"seq mean, full part", SeqMeanTokenMean, 4, 4, 10, 3, 0.4, 1},
		{"seq mean, last part", SeqMeanTokenMean, 4, 2, 10, 3, 0.4, 2},
		{"token mean", TokenMean, 4, 2, 10, 3, 1.0 / 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, p := microScale(tc.agg, tc.mb, tc.part, tc.batch, tc.nMicro)
			if got := float64(s.Value().(float32)); math.Abs(got-tc.scale) > 1e-7 || p != tc.perSample {
				t.Errorf("microScale = %v, %v; want %v, %v", got, p, tc.scale, tc.perSample)
			}
		})
	}
}

// A run with remote reward-model rewards, normalize_reward (running
// statistics carried in the cursor) and token-mean losses resumes bit for
// bit: the statistics of the rollouts before the checkpoint are restored.
func TestPolicyRemoteResumeKeepsRewardStats(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two training runs")
	}
	cfg := policyRunFixture(t)
	rm, err := rewards.LoadRM(context.Background(), backend.MustOpenGo(), cfg.RewardModel, rewards.RMLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rewards.NewRewardHandler(nil, rewards.RewardServerOptions{RM: rm}))
	defer srv.Close()
	cfg.Reward, cfg.RemoteURL, cfg.NormalizeReward, cfg.LossAgg = "remote", "rule:"+srv.URL, true, string(TokenMean)
	straight, parted := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := runPolicy(t, cfg, straight, -1); err != nil {
		t.Fatal(err)
	}
	if err := runPolicy(t, cfg, parted, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	cfg.Resume = "latest"
	if err := runPolicy(t, cfg, parted, -1); err != nil {
		t.Fatal(err)
	}
	ma, mb := metricsWithout(t, straight, "time/", "perf/"), metricsWithout(t, parted, "time/", "perf/")
	if len(ma) != 5 || !slices.EqualFunc(ma, mb, func(x, y map[string]float64) bool { return mapsEqual(x, y) }) {
		t.Errorf("metrics differ:\nstraight %v\nresumed  %v", ma, mb)
	}
	a, b := loadWeights(t, filepath.Join(straight, PolicyModelDir)), loadWeights(t, filepath.Join(parted, PolicyModelDir))
	for name, w := range a {
		if !slices.Equal(w, b[name]) {
			t.Errorf("weight %s differs after resume", name)
		}
	}
	if ma[4]["reward/std"] == 0 {
		t.Error("rewards did not vary: the test would not exercise the update")
	}
}
