package checkpoints

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FormatVersion is the manifest format this package writes and the only one
// it reads. Bump it when the layout of a checkpoint directory changes.
const FormatVersion = 1

// ManifestName is the file written last into every checkpoint directory. A
// directory without it is an incomplete write, never a checkpoint.
const ManifestName = "manifest.json"

// DefaultConfigName is the file the resolved config is stored in when
// Content.ConfigName is empty.
const DefaultConfigName = "config.yaml"

// maxManifestSize bounds how much of a manifest Load reads: a manifest lists
// a handful of files, so anything larger is damage, not data.
const maxManifestSize = 4 << 20

// maxNameLen bounds file names inside a checkpoint.
const maxNameLen = 128

// Manifest describes one checkpoint: what was written and how to verify it.
type Manifest struct {
	// FormatVersion is the layout version (FormatVersion when written).
	FormatVersion int `json:"format_version"`
	// Step is the training step the checkpoint was taken at; it matches the
	// directory name step-%08d.
	Step int64 `json:"step"`
	// Created is the wall-clock time the manifest was written (UTC).
	Created time.Time `json:"created"`
	// Config names the file holding the resolved config ("" when none).
	Config string `json:"config,omitempty"`
	// Files maps every file in the directory except the manifest itself to
	// its size and SHA-256.
	Files map[string]FileInfo `json:"files"`
}

// FileInfo is the size and content hash of one checkpoint file.
type FileInfo struct {
	// SHA256 is the lower-case hex SHA-256 of the file's bytes.
	SHA256 string `json:"sha256"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
}

// Names returns the manifest's file names in sorted order.
func (m *Manifest) Names() []string {
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ParseManifest decodes and validates a manifest. Unknown fields, trailing
// data, an unsupported format version, bad names, hashes or sizes are errors
// (all of them reported at once).
func ParseManifest(data []byte) (*Manifest, error) {
	// Unmarshal also rejects trailing data after the object.
	var probe struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if probe.FormatVersion == nil {
		return nil, errors.New("manifest has no format_version")
	}
	if *probe.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("unsupported manifest format_version %d (this build reads %d)",
			*probe.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate reports every problem with the manifest's fields at once.
func (m *Manifest) Validate() error {
	var errs []error
	if m.FormatVersion != FormatVersion {
		errs = append(errs, fmt.Errorf("format_version %d, want %d", m.FormatVersion, FormatVersion))
	}
	if m.Step < 0 {
		errs = append(errs, fmt.Errorf("step %d is negative", m.Step))
	}
	if m.Created.IsZero() {
		errs = append(errs, errors.New("created is missing"))
	}
	if m.Files == nil {
		errs = append(errs, errors.New("files is missing"))
	}
	if m.Config != "" {
		if _, ok := m.Files[m.Config]; !ok {
			errs = append(errs, fmt.Errorf("config %q is not listed in files", m.Config))
		}
	}
	for _, name := range m.Names() {
		info := m.Files[name]
		if err := ValidateName(name); err != nil {
			errs = append(errs, err)
		}
		if info.Size < 0 {
			errs = append(errs, fmt.Errorf("file %q: negative size %d", name, info.Size))
		}
		if !isSHA256Hex(info.SHA256) {
			errs = append(errs, fmt.Errorf("file %q: sha256 %q is not 64 lower-case hex digits", name, info.SHA256))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid manifest: %w", errors.Join(errs...))
	}
	return nil
}

// ValidateName checks that name can be a file inside a checkpoint: a plain
// file name of letters, digits, '.', '_' and '-', not starting with '.' or
// '-', not the manifest's own name, at most 128 bytes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case len(name) > maxNameLen:
		return fmt.Errorf("file name %.20q... longer than %d bytes", name, maxNameLen)
	case name == ManifestName:
		return fmt.Errorf("file name %q is reserved for the manifest", name)
	case name[0] == '.' || name[0] == '-':
		return fmt.Errorf("file name %q must not start with %q", name, name[0])
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("file name %q: character %q not allowed (use [A-Za-z0-9._-])", name, r)
		}
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// StepDirName is the directory name of the checkpoint for step.
func StepDirName(step int64) string {
	return fmt.Sprintf("step-%08d", step)
}

// ParseStepDirName returns the step encoded in a directory name produced by
// StepDirName, and false for any other name.
func ParseStepDirName(name string) (int64, bool) {
	digits, ok := strings.CutPrefix(name, "step-")
	if !ok || len(digits) < 8 {
		return 0, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	step, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || StepDirName(step) != name {
		return 0, false
	}
	return step, true
}
