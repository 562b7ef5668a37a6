package rundir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreate(t *testing.T) {
	parent := t.TempDir()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	r, err := Create(Options{Parent: parent, Name: "rm", Backend: "go", Command: "train-rm --x", Config: "name: rm\n", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := filepath.Join(parent, "rm-20260102-030405"); r.Dir != want {
		t.Errorf("dir = %s, want %s", r.Dir, want)
	}
	cfg, err := os.ReadFile(filepath.Join(r.Dir, ConfigFile))
	if err != nil || string(cfg) != "name: rm\n" {
		t.Errorf("config.yaml = %q, %v", cfg, err)
	}
	data, err := os.ReadFile(filepath.Join(r.Dir, InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Backend != "go" || info.Command != "train-rm --x" || !strings.HasPrefix(info.GoVersion, "go1.") || info.GitCommit == "" {
		t.Errorf("run.json = %+v", info)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, MetricsFile)); err != nil {
		t.Errorf("metrics.jsonl missing: %v", err)
	}
}

func TestMetricsAppendTruncateAndCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	m, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 5; step++ {
		if err := m.Log(step, map[string]float64{"loss/train": float64(step) / 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.TruncateAfter(3); err != nil {
		t.Fatal(err)
	}
	if err := m.Log(4, map[string]float64{"loss/train": 9}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	// A crash mid-write leaves a partial line; reopening drops it.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step":5,"loss/tr`)
	f.Close()
	m, err = OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Log(5, map[string]float64{"loss/train": 10}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	recs, err := ReadMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]float64
	for _, r := range recs {
		got = append(got, [2]float64{r["step"], r["loss/train"]})
	}
	want := [][2]float64{{1, 0.5}, {2, 1}, {3, 1.5}, {4, 9}, {5, 10}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}
}

func TestReadMetricsNamesBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	os.WriteFile(path, []byte("{\"step\":1}\nnot json\n"), 0o644)
	_, err := ReadMetrics(path)
	if err == nil || !strings.Contains(err.Error(), MetricsFile+":2") {
		t.Fatalf("err = %v, want file:line", err)
	}
}

func TestMetricsConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	m, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			for i := range 50 {
				_ = m.Log(g*100+i, map[string]float64{"x": 1})
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	m.Close()
	recs, err := ReadMetrics(path)
	if err != nil || len(recs) != 200 {
		t.Fatalf("got %d records, %v; want 200 intact lines", len(recs), err)
	}
}
