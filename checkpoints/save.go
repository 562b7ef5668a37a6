package checkpoints

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// WriteFunc writes the bytes of one checkpoint file to w. It should return
// the first error w returns (which is the context's error once the save is
// cancelled).
type WriteFunc func(w io.Writer) error

// File is one opaque file of a checkpoint, e.g. "model.safetensors" or
// "optimizer.safetensors"; the trainer chooses its format.
type File struct {
	// Name is the file name inside the checkpoint directory (see ValidateName).
	Name string
	// Write produces the file's bytes.
	Write WriteFunc
}

// Bytes returns a WriteFunc that writes b.
func Bytes(b []byte) WriteFunc {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// Content is everything a trainer puts into one checkpoint.
type Content struct {
	// Files are opaque files written in order (weights, optimizer state...).
	Files []File
	// State holds small JSON-serialisable values (RNG state, data cursor,
	// loop state, metrics offset...); each key k is stored as "k.json" and
	// read back with Checkpoint.DecodeState(k, &v).
	State map[string]any
	// Config is the resolved config; nil stores none. On resume the model
	// architecture comes from here, not from the command line.
	Config []byte
	// ConfigName is the file Config is stored in (DefaultConfigName if empty).
	ConfigName string
}

// Options tune Save.
type Options struct {
	// Keep is how many checkpoints (by step) to keep under root after a
	// successful save; 0 or less keeps all. The one just written is never
	// deleted. Step directories count whether or not they verify.
	Keep int
	// Now returns the creation time recorded in the manifest (time.Now if nil).
	Now func() time.Time
}

// Saver saves checkpoints under one root directory. Only one Saver (one
// process) may write to a root at a time: Save deletes stale temporary
// directories left under root by earlier, interrupted saves.
type Saver struct {
	// Root is the directory holding the step-%08d/ checkpoints.
	Root string
	// Options apply to every Save.
	Options Options
}

// Save writes the checkpoint for step under s.Root (see the package Save).
func (s *Saver) Save(ctx context.Context, step int64, c Content) (string, error) {
	return Save(ctx, s.Root, step, c, s.Options)
}

// Save writes c as the checkpoint root/step-%08d/ and returns its path.
//
// The files are written into a fresh root/.tmp-step-%08d-*/ directory, each
// fsynced; manifest.json is written last; the directory is fsynced, renamed
// to its final name, and root is fsynced. A crash at any moment therefore
// leaves either no step directory or a complete one, and the earlier
// checkpoints untouched. Afterwards older checkpoints beyond opts.Keep are
// removed (each renamed away first, so a crash never leaves a half-deleted
// step directory). Step directories newer than step (left by a run that
// was resumed from an older checkpoint) are renamed superseded-step-%08d so
// that Latest resumes this run, not the abandoned one; they are never
// deleted. Cancelling ctx aborts the write and removes the temporary
// directory. Save refuses to overwrite an existing step directory
// (the error wraps fs.ErrExist).
func Save(ctx context.Context, root string, step int64, c Content, opts Options) (string, error) {
	if step < 0 {
		return "", fmt.Errorf("checkpoints: save: negative step %d", step)
	}
	files, configName, err := c.plan()
	if err != nil {
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := removeStale(root); err != nil {
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	final := filepath.Join(root, StepDirName(step))
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("checkpoints: save step %d: %s: %w", step, final, fs.ErrExist)
	}
	tmp, err := os.MkdirTemp(root, tmpPrefix+StepDirName(step)+"-*")
	if err != nil {
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	// MkdirTemp makes the directory private; a checkpoint is as readable as
	// the files in it.
	if err := os.Chmod(tmp, 0o755); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := writeAll(ctx, tmp, step, files, configName, opts); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("checkpoints: save step %d: %w", step, err)
	}
	if err := syncDir(root); err != nil {
		return final, fmt.Errorf("checkpoints: save step %d: sync %s: %w", step, root, err)
	}
	if err := prune(root, opts.Keep, step); err != nil {
		return final, fmt.Errorf("checkpoints: saved step %d but pruning failed: %w", step, err)
	}
	return final, nil
}

// plan turns c into the ordered list of files to write, checking names.
func (c Content) plan() ([]File, string, error) {
	var files []File
	seen := map[string]bool{}
	add := func(f File) error {
		if err := ValidateName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("file %q given twice", f.Name)
		}
		if f.Write == nil {
			return fmt.Errorf("file %q has no Write function", f.Name)
		}
		seen[f.Name] = true
		files = append(files, f)
		return nil
	}
	for _, f := range c.Files {
		if err := add(f); err != nil {
			return nil, "", err
		}
	}
	for _, key := range sortedKeys(c.State) {
		data, err := json.MarshalIndent(c.State[key], "", "  ")
		if err != nil {
			return nil, "", fmt.Errorf("state %q: %w", key, err)
		}
		if err := add(File{Name: key + ".json", Write: Bytes(append(data, '\n'))}); err != nil {
			return nil, "", fmt.Errorf("state %q: %w", key, err)
		}
	}
	configName := ""
	if c.Config != nil {
		configName = c.ConfigName
		if configName == "" {
			configName = DefaultConfigName
		}
		if err := add(File{Name: configName, Write: Bytes(c.Config)}); err != nil {
			return nil, "", fmt.Errorf("config: %w", err)
		}
	}
	return files, configName, nil
}

// writeAll writes every file and then the manifest into dir and fsyncs dir.
func writeAll(ctx context.Context, dir string, step int64, files []File, configName string, opts Options) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	m := Manifest{FormatVersion: FormatVersion, Step: step, Config: configName, Files: map[string]FileInfo{}}
	for _, f := range files {
		info, err := writeFile(ctx, filepath.Join(dir, f.Name), f.Write)
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
		m.Files[f.Name] = info
	}
	m.Created = now().UTC()
	data, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if _, err := writeFile(ctx, filepath.Join(dir, ManifestName), Bytes(append(data, '\n'))); err != nil {
		return fmt.Errorf("write %s: %w", ManifestName, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
