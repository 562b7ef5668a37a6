// Package backend owns the choice of GoMLX compute backend: it parses the
// --backend flag ("go", "xla:/abs/plugin.so", "onnx:/abs/libonnxruntime.so"),
// validates it before any model code runs, and opens the backend.
//
// The pure-Go backend is opened with "ops_sequential": one op at a time,
// each matmul spread over every core. GoMLX v0.28.8's parallel ops could
// deadlock in training steps; on v0.28.16 they did not, but measured no
// faster on 2 cores (docs/platform.md). The XLA backend never downloads a
// plugin: the plugin must be given as an absolute path to an existing file.
package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// Kind names a backend family.
type Kind string

const (
	Go   Kind = "go"
	XLA  Kind = "xla"
	ONNX Kind = "onnx"
)

// Default is the backend used when none is given: the embedded pure-Go one.
const Default = "go"

// Spec is a parsed --backend value.
type Spec struct {
	Kind Kind
	// Path is the PJRT plugin (xla) or ONNX Runtime library (onnx); empty for go.
	Path string
}

// String renders the spec in the flag's syntax.
func (s Spec) String() string {
	if s.Path == "" {
		return string(s.Kind)
	}
	return string(s.Kind) + ":" + s.Path
}

// Parse parses a --backend value without touching the file system.
func Parse(value string) (Spec, error) {
	if value == "" {
		value = Default
	}
	kind, path, _ := strings.Cut(value, ":")
	switch Kind(kind) {
	case Go:
		if path != "" {
			return Spec{}, fmt.Errorf("backend %q: the go backend takes no path", value)
		}
		return Spec{Kind: Go}, nil
	case XLA:
		if path == "" {
			return Spec{}, fmt.Errorf("backend %q: xla needs a PJRT plugin path, e.g. xla:/path/to/xla_cuda_plugin.so (plugins are never downloaded)", value)
		}
		return Spec{Kind: XLA, Path: path}, nil
	case ONNX:
		if path == "" {
			return Spec{}, fmt.Errorf("backend %q: onnx needs the ONNX Runtime library path, e.g. onnx:/path/to/libonnxruntime.so.1", value)
		}
		return Spec{Kind: ONNX, Path: path}, nil
	}
	return Spec{}, fmt.Errorf("backend %q: unknown kind %q (want go, xla:PLUGIN.so or onnx:LIB.so)", value, kind)
}

// Validate checks that the spec can be opened: the library file exists and
// the kind is compiled into this binary.
func (s Spec) Validate() error {
	switch s.Kind {
	case Go:
		return nil
	case XLA, ONNX:
		if !filepath.IsAbs(s.Path) {
			abs, err := filepath.Abs(s.Path)
			if err != nil {
				return fmt.Errorf("backend %s: %w", s, err)
			}
			s.Path = abs
		}
		st, err := os.Stat(s.Path)
		if err != nil {
			return fmt.Errorf("backend %s: library not found: %w", s, err)
		}
		if st.IsDir() {
			return fmt.Errorf("backend %s: %s is a directory, want a shared library file", s, s.Path)
		}
		if _, ok := openers[s.Kind]; !ok {
			return fmt.Errorf("backend %s: this binary was built without %s support (%s)", s, s.Kind, buildHint[s.Kind])
		}
		return nil
	}
	return fmt.Errorf("backend %s: unknown kind", s)
}

// buildHint says how to get a backend compiled in.
var buildHint = map[Kind]string{
	XLA:  "build without -tags noxla, with cgo enabled",
	ONNX: "ONNX Runtime is not supported by this build",
}

// openers holds the optional backends compiled into the binary; filled by
// init functions in build-tagged files.
var openers = map[Kind]func(path string) (compute.Backend, error){}

// Open validates the spec and opens the backend. The go backend is shared
// process-wide (it holds no device state); others are opened once per spec.
func Open(value string) (compute.Backend, error) {
	spec, err := Parse(value)
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cache[spec.String()]; ok {
		return b, nil
	}
	var b compute.Backend
	if spec.Kind == Go {
		b, err = gobackend.New("ops_sequential")
	} else {
		b, err = openers[spec.Kind](absPath(spec.Path))
	}
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", spec, err)
	}
	if b == nil {
		return nil, errors.New("backend " + spec.String() + ": opened nil backend")
	}
	cache[spec.String()] = b
	return b, nil
}

// MustOpenGo opens the pure-Go backend; for tests.
func MustOpenGo() compute.Backend {
	b, err := Open(Default)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	cacheMu sync.Mutex
	cache   = map[string]compute.Backend{}
)

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
