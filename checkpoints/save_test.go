package checkpoints

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loopState stands in for a trainer's loop state.
type loopState struct {
	Step    int64   `json:"step"`
	LR      float64 `json:"lr"`
	Samples []int   `json:"samples"`
}

func testContent(step int64) Content {
	return Content{
		Files: []File{
			{Name: "model.safetensors", Write: Bytes(pattern(step, 10_000))},
			{Name: "optimizer.safetensors", Write: Bytes(pattern(step+1, 20_000))},
		},
		State: map[string]any{
			"loop":   loopState{Step: step, LR: 1e-4, Samples: []int{1, 2, 3}},
			"rng":    map[string]uint64{"seed": 42, "counter": uint64(step)},
			"cursor": map[string]int{"epoch": 0, "index": int(step) * 8},
		},
		Config: []byte("model:\n  layers: 4\n"),
	}
}

// pattern returns n deterministic bytes that differ with seed (the bytes
// patternWriter streams).
func pattern(seed int64, n int) []byte {
	b := make([]byte, n)
	newXorshift(seed).fill(b)
	return b
}

func TestSaveLoadRoundTrip(t *testing.T) {
	root := t.TempDir()
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	path, err := Save(context.Background(), root, 7, testContent(7), Options{Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "step-00000007"); path != want {
		t.Fatalf("Save path = %q, want %q", path, want)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Step() != 7 || !c.Manifest.Created.Equal(created) || c.Manifest.Config != DefaultConfigName {
		t.Errorf("manifest = %+v", c.Manifest)
	}
	wantNames := []string{"config.yaml", "cursor.json", "loop.json", "model.safetensors", "optimizer.safetensors", "rng.json"}
	if diff := cmp.Diff(wantNames, c.Manifest.Names()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	model, err := c.ReadFile("model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pattern(7, 10_000), model); diff != "" {
		t.Errorf("model bytes differ:\n%s", diff)
	}
	var loop loopState
	if err := c.DecodeState("loop", &loop); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(loopState{Step: 7, LR: 1e-4, Samples: []int{1, 2, 3}}, loop); diff != "" {
		t.Errorf("loop state (-want +got):\n%s", diff)
	}
	cfg, err := c.Config()
	if err != nil || string(cfg) != "model:\n  layers: 4\n" {
		t.Errorf("Config() = %q, %v", cfg, err)
	}
	var wrong struct{ Other int }
	if err := c.DecodeState("loop", &wrong); err == nil {
		t.Error("DecodeState into a struct missing the saved fields succeeded, want an error")
	}
	if _, err := c.Path("absent.bin"); err == nil || c.Has("absent.bin") || !c.Has("rng.json") {
		t.Error("Path/Has disagree with the manifest")
	}
	bare, err := Save(context.Background(), root, 8, Content{Files: testContent(8).Files}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Load(bare); err != nil {
		t.Fatal(err)
	} else if _, err := c.Config(); err == nil {
		t.Error("Config() of a checkpoint saved without one succeeded")
	}
	assertNoTemp(t, root)
}

func TestSaveRefusesBadContent(t *testing.T) {
	tests := []struct {
		name    string
		content Content
		step    int64
		wantErr string
	}{
		{name: "negative step", step: -1, wantErr: "negative step"},
		{name: "bad name", content: Content{Files: []File{{Name: "../x", Write: Bytes(nil)}}}, wantErr: "must not start"},
		{name: "duplicate", content: Content{Files: []File{{Name: "a", Write: Bytes(nil)}, {Name: "a", Write: Bytes(nil)}}},
			wantErr: "given twice"},
		{name: "state collides", content: Content{Files: []File{{Name: "rng.json", Write: Bytes(nil)}},
			State: map[string]any{"rng": 1}}, wantErr: "given twice"},
		{name: "nil writer", content: Content{Files: []File{{Name: "a"}}}, wantErr: "no Write function"},
		{name: "manifest name", content: Content{Config: []byte("x"), ConfigName: ManifestName}, wantErr: "reserved"},
		{name: "unencodable state", content: Content{State: map[string]any{"f": func() {}}}, wantErr: "state \"f\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			_, err := Save(context.Background(), root, tc.step, tc.content, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Save error = %v, want one containing %q", err, tc.wantErr)
			}
			if steps, _ := Steps(root); len(steps) != 0 {
				t.Errorf("refused save left step directories %v", steps)
			}
			assertNoTemp(t, root)
		})
	}
}

func TestSaveRefusesExistingStep(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	if _, err := Save(ctx, root, 3, testContent(3), Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := Save(ctx, root, 3, testContent(4), Options{})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Save of step 3: %v, want fs.ErrExist", err)
	}
	c, err := Load(filepath.Join(root, StepDirName(3)))
	if err != nil {
		t.Fatalf("first checkpoint damaged by refused save: %v", err)
	}
	if got, _ := c.ReadFile("model.safetensors"); string(got) != string(pattern(3, 10_000)) {
		t.Error("first checkpoint's weights were replaced")
	}
}

func TestSaveAbortsCleanly(t *testing.T) {
	boom := errors.New("disk on fire")
	tests := []struct {
		name  string
		write func(cancel context.CancelFunc) WriteFunc
		want  error
	}{
		{name: "writer error", want: boom, write: func(context.CancelFunc) WriteFunc {
			return func(w io.Writer) error {
				if _, err := w.Write(make([]byte, 100)); err != nil {
					return err
				}
				return boom
			}
		}},
		{name: "cancelled mid-write", want: context.Canceled, write: func(cancel context.CancelFunc) WriteFunc {
			return func(w io.Writer) error {
				for i := 0; ; i++ {
					if i == 3 {
						cancel()
					}
					if _, err := w.Write(make([]byte, 4096)); err != nil {
						return err
					}
				}
			}
		}},
		{name: "writer swallows cancellation", want: context.Canceled, write: func(cancel context.CancelFunc) WriteFunc {
			return func(w io.Writer) error {
				cancel()
				_, _ = w.Write([]byte("lost"))
				return nil
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := Save(ctx, root, 1, testContent(1), Options{}); err != nil {
				t.Fatal(err)
			}
			c := testContent(2)
			c.Files = append(c.Files, File{Name: "late.bin", Write: tc.write(cancel)})
			_, err := Save(ctx, root, 2, c, Options{})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "late.bin") {
				t.Fatalf("Save error = %v, want %v naming late.bin", err, tc.want)
			}
			assertNoTemp(t, root)
			got, _, err := Latest(root)
			if err != nil || got.Step() != 1 {
				t.Fatalf("Latest after aborted save = %v, %v; want step 1", got, err)
			}
		})
	}
}

func TestSaveKeepsLastN(t *testing.T) {
	tests := []struct {
		name  string
		keep  int
		saves []int64
		want  []int64 // steps left, newest first
		aside []string
	}{
		{name: "keep all", keep: 0, saves: []int64{1, 2, 3, 4}, want: []int64{4, 3, 2, 1}},
		{name: "keep two", keep: 2, saves: []int64{1, 2, 3, 4, 5}, want: []int64{5, 4}},
		{name: "keep one", keep: 1, saves: []int64{10, 20}, want: []int64{20}},
		{name: "resumed from older step", keep: 2, saves: []int64{10, 20, 30, 5, 6}, want: []int64{6, 5},
			aside: []string{"superseded-step-00000020", "superseded-step-00000030"}},
		{name: "resumed twice", keep: 0, saves: []int64{1, 2, 1, 2, 1}, want: []int64{1},
			aside: []string{"superseded-step-00000002", "superseded-step-00000002.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, s := range tc.saves {
				_, err := Save(context.Background(), root, s, testContent(s), Options{Keep: tc.keep})
				if errors.Is(err, fs.ErrExist) {
					// Resuming from step s again: the trainer clears it first.
					must(t, os.Rename(filepath.Join(root, StepDirName(s)), filepath.Join(root, "old")))
					_, err = Save(context.Background(), root, s, testContent(s), Options{Keep: tc.keep})
					must(t, os.RemoveAll(filepath.Join(root, "old")))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := Steps(root)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("steps left (-want +got):\n%s", diff)
			}
			aside, err := filepath.Glob(filepath.Join(root, supersededPrefix+"*"))
			must(t, err)
			for i := range aside {
				aside[i] = filepath.Base(aside[i])
			}
			if diff := cmp.Diff(tc.aside, aside); diff != "" {
				t.Errorf("moved aside (-want +got):\n%s", diff)
			}
			if c, _, err := Latest(root); err != nil || c.Step() != tc.want[0] {
				t.Errorf("Latest = %v, %v; want step %d", c, err, tc.want[0])
			}
			assertNoTemp(t, root)
		})
	}
}

func TestSaveRemovesStaleTemp(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{".tmp-step-00000009-123", ".tmp-del-step-00000001"} {
		if err := os.MkdirAll(filepath.Join(root, d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Not ours: must survive.
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Saver{Root: root, Options: Options{Keep: 1}}
	if _, err := s.Save(context.Background(), 10, testContent(10)); err != nil {
		t.Fatal(err)
	}
	assertNoTemp(t, root)
	if _, err := os.Stat(filepath.Join(root, "notes.txt")); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
}

// assertNoTemp fails if a temporary directory is left under root.
func assertNoTemp(t *testing.T, root string) {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary entry %s left under %s", e.Name(), root)
		}
	}
}
