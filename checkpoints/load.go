package checkpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// ErrInvalid is wrapped by every error that refuses a checkpoint because it
// is incomplete, truncated, tampered with or malformed.
var ErrInvalid = errors.New("invalid checkpoint")

// VerifyError says why a checkpoint directory was refused, naming the file.
type VerifyError struct {
	// Dir is the checkpoint directory.
	Dir string
	// File is the offending file's name inside Dir ("" for the directory itself).
	File string
	// Reason says what is wrong with it.
	Reason string
}

func (e *VerifyError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("checkpoints: refusing %s: %s", e.Dir, e.Reason)
	}
	return fmt.Sprintf("checkpoints: refusing %s: file %s: %s", e.Dir, e.File, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *VerifyError) Is(target error) bool { return target == ErrInvalid }

// Checkpoint is a verified checkpoint directory.
type Checkpoint struct {
	// Dir is the checkpoint directory.
	Dir string
	// Manifest is its parsed manifest.
	Manifest *Manifest
}

// Step is the training step the checkpoint was taken at.
func (c *Checkpoint) Step() int64 { return c.Manifest.Step }

// Load reads dir's manifest and verifies the directory against it: every
// listed file present with the recorded size and SHA-256, and no other
// entries. It refuses a checkpoint with a *VerifyError (wrapping ErrInvalid)
// naming each bad file; problems with several files are joined. Load reads
// every byte of the checkpoint once.
func Load(dir string) (*Checkpoint, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if step, ok := ParseStepDirName(filepath.Base(dir)); ok && step != m.Step {
		return nil, &VerifyError{Dir: dir, File: ManifestName,
			Reason: fmt.Sprintf("records step %d but the directory is for step %d", m.Step, step)}
	}
	if err := verifyFiles(dir, m); err != nil {
		return nil, err
	}
	return &Checkpoint{Dir: dir, Manifest: m}, nil
}

// readManifest reads and parses dir/manifest.json.
func readManifest(dir string) (*Manifest, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	if !st.IsDir() {
		return nil, &VerifyError{Dir: dir, Reason: "not a directory"}
	}
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &VerifyError{Dir: dir, File: ManifestName,
			Reason: "missing (the checkpoint was never completed, or this is not a checkpoint directory)"}
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, &VerifyError{Dir: dir, File: ManifestName, Reason: err.Error()}
	}
	if len(data) > maxManifestSize {
		return nil, &VerifyError{Dir: dir, File: ManifestName, Reason: fmt.Sprintf("larger than %d bytes", maxManifestSize)}
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, &VerifyError{Dir: dir, File: ManifestName, Reason: err.Error()}
	}
	return m, nil
}

// verifyFiles checks dir's entries against m, reporting every bad file.
func verifyFiles(dir string, m *Manifest) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	var errs []error
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if name == ManifestName {
			continue
		}
		present[name] = true
		if _, listed := m.Files[name]; !listed {
			errs = append(errs, &VerifyError{Dir: dir, File: name, Reason: "not listed in the manifest (extra file)"})
		} else if !e.Type().IsRegular() {
			errs = append(errs, &VerifyError{Dir: dir, File: name, Reason: "not a regular file"})
		}
	}
	for _, name := range m.Names() {
		if !present[name] {
			errs = append(errs, &VerifyError{Dir: dir, File: name, Reason: "listed in the manifest but missing"})
			continue
		}
		if err := verifyFile(dir, name, m.Files[name]); err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		return compareVerify(a, b)
	})
	return errors.Join(errs...)
}

func compareVerify(a, b error) int {
	va, okA := a.(*VerifyError)
	vb, okB := b.(*VerifyError)
	if !okA || !okB {
		return 0
	}
	switch {
	case va.File < vb.File:
		return -1
	case va.File > vb.File:
		return 1
	}
	return 0
}

// verifyFile checks one file's size (cheap, catches truncation) and hash.
func verifyFile(dir, name string, want FileInfo) error {
	path := filepath.Join(dir, name)
	st, err := os.Lstat(path)
	if err != nil {
		return &VerifyError{Dir: dir, File: name, Reason: err.Error()}
	}
	if !st.Mode().IsRegular() {
		return nil // already reported by verifyFiles
	}
	if st.Size() != want.Size {
		return &VerifyError{Dir: dir, File: name,
			Reason: fmt.Sprintf("size %d bytes, manifest says %d (truncated or modified)", st.Size(), want.Size)}
	}
	got, err := hashFile(path)
	if err != nil {
		return &VerifyError{Dir: dir, File: name, Reason: err.Error()}
	}
	if got.SHA256 != want.SHA256 || got.Size != want.Size {
		return &VerifyError{Dir: dir, File: name,
			Reason: fmt.Sprintf("sha256 %s, manifest says %s (tampered or corrupted)", got.SHA256, want.SHA256)}
	}
	return nil
}

// Path returns the path of a file listed in the manifest, for readers that
// need a path (e.g. memory-mapping a weights file). Prefer ReadFile, which
// re-checks the hash of what it returns.
func (c *Checkpoint) Path(name string) (string, error) {
	if _, ok := c.Manifest.Files[name]; !ok {
		return "", fmt.Errorf("checkpoints: %s has no file %q (files: %v)", c.Dir, name, c.Manifest.Names())
	}
	return filepath.Join(c.Dir, name), nil
}

// Has reports whether the checkpoint lists a file called name.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.Manifest.Files[name]
	return ok
}

// ReadFile returns the bytes of a listed file, checking them against the
// manifest again (the file may have changed since Load).
func (c *Checkpoint) ReadFile(name string) ([]byte, error) {
	path, err := c.Path(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	want := c.Manifest.Files[name]
	if got := sha256Hex(data); got != want.SHA256 || int64(len(data)) != want.Size {
		return nil, &VerifyError{Dir: c.Dir, File: name, Reason: "changed after the checkpoint was verified"}
	}
	return data, nil
}

// DecodeState decodes the state value saved under key (Content.State) into
// v. Fields in the file that v does not have are an error, so a state struct
// that drifted from the one saved is noticed.
func (c *Checkpoint) DecodeState(key string, v any) error {
	data, err := c.ReadFile(key + ".json")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("checkpoints: %s: state %q: %w", c.Dir, key, err)
	}
	return nil
}

// Config returns the resolved config stored with the checkpoint, or an error
// if it has none.
func (c *Checkpoint) Config() ([]byte, error) {
	if c.Manifest.Config == "" {
		return nil, fmt.Errorf("checkpoints: %s stores no config", c.Dir)
	}
	return c.ReadFile(c.Manifest.Config)
}
