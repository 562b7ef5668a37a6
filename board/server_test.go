package board

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func get(t *testing.T, h http.Handler, url string, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s: %v: %s", url, err, rec.Body.String())
		}
	}
	return rec.Code
}

func TestListsRunsAndSweeps(t *testing.T) {
	root := t.TempDir()
	writeRun(t, filepath.Join(root, "sft"), 2, func(int) string { return `"loss/sft":1` })
	writeRun(t, filepath.Join(root, "sweep-lr", "000_lr=0.1"), 1, func(int) string { return `"loss/bt":1` })
	os.WriteFile(filepath.Join(root, "sweep-lr", "summary.json"), []byte("[]"), 0o644)
	writeRun(t, filepath.Join(root, "demo", "rm"), 1, func(int) string { return `"loss/bt":1` })
	// Not runs: a checkpoint and a model folder inside a run, a hidden
	// folder, and a run deeper than the search.
	writeRun(t, filepath.Join(root, "sft", "checkpoints", "step-1"), 1, func(int) string { return `"x":1` })
	writeRun(t, filepath.Join(root, ".trash", "old"), 1, func(int) string { return `"x":1` })
	writeRun(t, filepath.Join(root, "a", "b", "c", "d", "e"), 1, func(int) string { return `"x":1` })
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(root, "demo", "rm", metricsFile), old, old)
	s, err := New(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var body struct{ Runs []Run }
	if code := get(t, s.Handler(), "/api/runs", &body); code != 200 {
		t.Fatalf("status %d", code)
	}
	type row struct {
		ID, Group   string
		Sweep, Live bool
	}
	var got []row
	for _, r := range body.Runs {
		got = append(got, row{r.ID, r.Group, r.Sweep, r.Live})
		if !r.Config || r.Name != filepath.Base(r.ID) {
			t.Errorf("run %+v", r)
		}
	}
	want := []row{{"demo/rm", "demo", false, false}, {"sft", "", false, true}, {"sweep-lr/000_lr=0.1", "sweep-lr", true, true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("runs (-want +got):\n%s", d)
	}
}

// The reader takes complete lines only, resumes from its offset, starts
// again when the file shrinks (a resumed run rewrote it) and names a bad
// line by number.
func TestMetricsAreReadIncrementally(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "run")
	writeRun(t, dir, 2, func(s int) string { return fmt.Sprintf(`"loss/x":%d`, s) })
	path := filepath.Join(dir, metricsFile)
	appendTo := func(s string) {
		f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(s)
		f.Close()
	}
	s, _ := New(Options{Root: root})
	defer s.Close()
	h := s.Handler()
	var c Chunk
	get(t, h, "/api/metrics?run=run", &c)
	if len(c.Records) != 2 || c.Reset {
		t.Fatalf("first read: %+v", c)
	}
	appendTo(`{"step":3,"loss/x":3}` + "\n" + `{"step":4,"lo`)
	off := c.Offset
	get(t, h, fmt.Sprintf("/api/metrics?run=run&offset=%d", off), &c)
	if len(c.Records) != 1 || c.Records[0]["step"] != 3.0 {
		t.Fatalf("after a half-written line: %+v", c)
	}
	appendTo(`ss/x":4}` + "\nnot json\n")
	get(t, h, fmt.Sprintf("/api/metrics?run=run&offset=%d", c.Offset), &c)
	if len(c.Records) != 1 || c.Records[0]["step"] != 4.0 || len(c.Errors) != 1 || !strings.Contains(c.Errors[0], "run/metrics.jsonl:5:") {
		t.Fatalf("after the rest of the line and a bad one: %+v", c)
	}
	os.WriteFile(path, []byte(`{"step":1,"loss/x":9}`+"\n"), 0o644)
	get(t, h, fmt.Sprintf("/api/metrics?run=run&offset=%d", c.Offset), &c)
	if !c.Reset || len(c.Records) != 1 || c.Records[0]["loss/x"] != 9.0 {
		t.Fatalf("after the file shrank: %+v", c)
	}
}

// Requests cannot reach files outside the runs folder, nor files of a run
// other than its metrics, config and run.json.
func TestStaysInsideTheRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "runs")
	writeRun(t, filepath.Join(root, "ok"), 1, func(int) string { return `"x":1` })
	writeRun(t, filepath.Join(parent, "secret"), 1, func(int) string { return `"x":1` })
	os.Symlink(filepath.Join(parent, "secret"), filepath.Join(root, "link"))
	s, _ := New(Options{Root: root})
	defer s.Close()
	h := s.Handler()
	for _, url := range []string{"/api/metrics?run=../secret", "/api/metrics?run=" + filepath.Join(parent, "secret"),
		"/api/metrics?run=ok/../../secret", "/api/metrics?run=link", "/api/config?run=../secret", "/api/config?run=link",
		"/api/metrics?run=", "/api/config?run=nothing"} {
		var body map[string]any
		if code := get(t, h, url, &body); code < 400 || body["error"] == nil {
			t.Errorf("%s: status %d %v: want a refusal", url, code, body)
		}
	}
	var cfg struct{ Config string }
	if code := get(t, h, "/api/config?run=ok", &cfg); code != 200 || !strings.HasPrefix(cfg.Config, "name: ok") {
		t.Errorf("config of a real run: %d %q", code, cfg.Config)
	}
}

// The page, its script and style come from the binary and refer to
// nothing outside the server.
func TestAssetsAreEmbeddedAndLocal(t *testing.T) {
	s, _ := New(Options{Root: t.TempDir()})
	defer s.Close()
	h := s.Handler()
	for _, name := range []string{"/", "/app.js", "/style.css"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", name, nil))
		if rec.Code != 200 || rec.Body.Len() < 500 {
			t.Errorf("%s: status %d, %d bytes", name, rec.Code, rec.Body.Len())
		}
	}
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, _ := static.Open(p)
		data, _ := io.ReadAll(f)
		f.Close()
		text := strings.ReplaceAll(string(data), `"http://www.w3.org/2000/svg"`, "") // an XML namespace, never fetched
		if m := external.FindString(text); m != "" {
			t.Errorf("%s refers to %q outside the server", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
