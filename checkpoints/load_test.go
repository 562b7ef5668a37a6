package checkpoints

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func saveTest(t *testing.T, root string, step int64) string {
	t.Helper()
	path, err := Save(context.Background(), root, step, testContent(step), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadRefusesDamage(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, dir string)
		wantFile string // the file the error must name
		wantText string
	}{
		{name: "truncated weights", wantFile: "model.safetensors", wantText: "truncated",
			damage: func(t *testing.T, dir string) { must(t, os.Truncate(filepath.Join(dir, "model.safetensors"), 5000)) }},
		{name: "empty optimizer", wantFile: "optimizer.safetensors", wantText: "size 0 bytes",
			damage: func(t *testing.T, dir string) { must(t, os.Truncate(filepath.Join(dir, "optimizer.safetensors"), 0)) }},
		{name: "flipped byte", wantFile: "model.safetensors", wantText: "sha256",
			damage: func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, "model.safetensors"), 1234) }},
		{name: "edited state", wantFile: "loop.json", wantText: "tampered",
			damage: func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, "loop.json"), 2) }},
		{name: "missing file", wantFile: "rng.json", wantText: "missing",
			damage: func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "rng.json"))) }},
		{name: "extra file", wantFile: "evil.bin", wantText: "extra file",
			damage: func(t *testing.T, dir string) {
				must(t, os.WriteFile(filepath.Join(dir, "evil.bin"), []byte("x"), 0o644))
			}},
		{name: "extra directory", wantFile: "sub", wantText: "extra file",
			damage: func(t *testing.T, dir string) { must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755)) }},
		{name: "no manifest", wantFile: ManifestName, wantText: "never completed",
			damage: func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, ManifestName))) }},
		{name: "truncated manifest", wantFile: ManifestName, wantText: "decode manifest",
			damage: func(t *testing.T, dir string) { must(t, os.Truncate(filepath.Join(dir, ManifestName), 40)) }},
		{name: "manifest hash edited", wantFile: "config.yaml", wantText: "sha256",
			damage: func(t *testing.T, dir string) { editManifestHash(t, dir, "config.yaml") }},
		{name: "renamed to another step", wantFile: ManifestName, wantText: "records step 5",
			damage: func(t *testing.T, dir string) {
				must(t, os.Rename(dir, filepath.Join(filepath.Dir(dir), StepDirName(6))))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := saveTest(t, root, 5)
			tc.damage(t, dir)
			steps, err := Steps(root)
			if err != nil || len(steps) != 1 {
				t.Fatalf("Steps = %v, %v", steps, err)
			}
			dir = filepath.Join(root, StepDirName(steps[0]))
			_, err = Load(dir)
			if err == nil {
				t.Fatal("Load accepted a damaged checkpoint")
			}
			var ve *VerifyError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) {
				t.Fatalf("Load error %v is not a *VerifyError wrapping ErrInvalid", err)
			}
			msg := err.Error()
			if ve.File != tc.wantFile || !strings.Contains(msg, "file "+tc.wantFile+":") ||
				!strings.Contains(msg, tc.wantText) || !strings.Contains(msg, dir) {
				t.Errorf("Load error = %q, want it to name %s in %s and say %q", msg, tc.wantFile, dir, tc.wantText)
			}
		})
	}
}

func TestLoadRefusesNonCheckpoints(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the path to load
		wantErr string
	}{
		{name: "regular file", wantErr: "not a directory", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "f")
			must(t, os.WriteFile(p, nil, 0o644))
			return p
		}},
		{name: "oversized manifest", wantErr: "larger than", setup: func(t *testing.T, dir string) string {
			must(t, os.WriteFile(filepath.Join(dir, ManifestName), make([]byte, maxManifestSize+1), 0o644))
			return dir
		}},
		{name: "manifest is a directory", wantErr: "file manifest.json", setup: func(t *testing.T, dir string) string {
			must(t, os.Mkdir(filepath.Join(dir, ManifestName), 0o755))
			return dir
		}},
		{name: "symlinked weights", wantErr: "not a regular file", setup: func(t *testing.T, dir string) string {
			ck := saveTest(t, dir, 1)
			p := filepath.Join(ck, "model.safetensors")
			must(t, os.Rename(p, filepath.Join(dir, "elsewhere")))
			must(t, os.Symlink(filepath.Join(dir, "elsewhere"), p))
			return ck
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setup(t, t.TempDir())
			_, err := Load(path)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Load = %v, want ErrInvalid containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadReportsEveryBadFile(t *testing.T) {
	dir := saveTest(t, t.TempDir(), 1)
	flipByte(t, filepath.Join(dir, "model.safetensors"), 0)
	must(t, os.Remove(filepath.Join(dir, "cursor.json")))
	_, err := Load(dir)
	for _, name := range []string{"model.safetensors", "cursor.json"} {
		if err == nil || !strings.Contains(err.Error(), "file "+name+":") {
			t.Errorf("Load error %v does not name %s", err, name)
		}
	}
}

func TestReadFileRechecks(t *testing.T) {
	dir := saveTest(t, t.TempDir(), 1)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	flipByte(t, filepath.Join(dir, "model.safetensors"), 10)
	if _, err := c.ReadFile("model.safetensors"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ReadFile of a file changed after Load: %v, want ErrInvalid", err)
	}
}

func TestLatestSkipsInvalid(t *testing.T) {
	root := t.TempDir()
	saveTest(t, root, 1)
	saveTest(t, root, 2)
	d3 := saveTest(t, root, 3)
	flipByte(t, filepath.Join(d3, "optimizer.safetensors"), 7)
	// A directory that was never completed (no manifest).
	must(t, os.Mkdir(filepath.Join(root, StepDirName(4)), 0o755))
	must(t, os.WriteFile(filepath.Join(root, StepDirName(4), "model.safetensors"), []byte("half"), 0o644))

	c, skipped, err := Latest(root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Step() != 2 {
		t.Errorf("Latest step = %d, want 2", c.Step())
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0].Error(), StepDirName(4)) ||
		!strings.Contains(skipped[1].Error(), "optimizer.safetensors") {
		t.Errorf("skipped = %v, want step 4 (no manifest) then step 3 (optimizer)", skipped)
	}
}

func TestLatestNone(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name string
		root string
	}{
		{name: "missing root", root: filepath.Join(root, "absent")},
		{name: "empty root", root: root},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Latest(tc.root); !errors.Is(err, ErrNoCheckpoint) {
				t.Errorf("Latest(%s) error = %v, want ErrNoCheckpoint", tc.root, err)
			}
		})
	}
	d := saveTest(t, root, 1)
	must(t, os.Truncate(filepath.Join(d, "model.safetensors"), 1))
	_, skipped, err := Latest(root)
	if !errors.Is(err, ErrNoCheckpoint) || len(skipped) != 1 {
		t.Errorf("Latest with only a damaged checkpoint: %v, skipped %v", err, skipped)
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	saveTest(t, root, 10)
	d20 := saveTest(t, root, 20)
	bad := saveTest(t, t.TempDir(), 30)
	must(t, os.Truncate(filepath.Join(bad, "rng.json"), 3))
	tests := []struct {
		name     string
		resume   string
		wantStep int64 // -1: no checkpoint
		wantErr  string
	}{
		{name: "no resume", resume: "", wantStep: -1},
		{name: "latest", resume: ResumeLatest, wantStep: 20},
		{name: "explicit checkpoint", resume: filepath.Join(root, StepDirName(10)), wantStep: 10},
		{name: "root as path", resume: root, wantStep: 20},
		{name: "damaged explicit checkpoint", resume: bad, wantErr: "file rng.json"},
		{name: "missing path", resume: filepath.Join(root, "nope"), wantErr: "no such file"},
		{name: "file not dir", resume: filepath.Join(d20, "loop.json"), wantErr: "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := Resolve(tc.resume, root)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := int64(-1)
			if c != nil {
				got = c.Step()
			}
			if diff := cmp.Diff(tc.wantStep, got); diff != "" {
				t.Errorf("step (-want +got):\n%s", diff)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	data[off] ^= 0x01
	must(t, os.WriteFile(path, data, 0o644))
}

func editManifestHash(t *testing.T, dir, name string) {
	t.Helper()
	path := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(path)
	must(t, err)
	m, err := ParseManifest(data)
	must(t, err)
	info := m.Files[name]
	info.SHA256 = strings.Repeat("0", 64)
	m.Files[name] = info
	out, err := json.Marshal(m)
	must(t, err)
	must(t, os.WriteFile(path, out, 0o644))
}
