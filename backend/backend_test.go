package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     Spec
		wantErr  string
	}{
		{name: "default", in: "", want: Spec{Kind: Go}},
		{name: "go", in: "go", want: Spec{Kind: Go}},
		{name: "xla", in: "xla:/x/p.so", want: Spec{Kind: XLA, Path: "/x/p.so"}},
		{name: "onnx", in: "onnx:/x/l.so", want: Spec{Kind: ONNX, Path: "/x/l.so"}},
		{name: "xla without path", in: "xla", wantErr: "needs a PJRT plugin path"},
		{name: "go with path", in: "go:x", wantErr: "takes no path"},
		{name: "unknown", in: "tpu", wantErr: `unknown kind "tpu"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestValidateLibrary(t *testing.T) {
	dir := t.TempDir()
	if err := (Spec{Kind: XLA, Path: filepath.Join(dir, "none.so")}).Validate(); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing plugin: err = %v", err)
	}
	if err := (Spec{Kind: XLA, Path: dir}).Validate(); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: err = %v", err)
	}
	lib := filepath.Join(dir, "lib.so")
	os.WriteFile(lib, []byte("x"), 0o644)
	if _, compiled := openers[ONNX]; !compiled {
		if err := (Spec{Kind: ONNX, Path: lib}).Validate(); err == nil || !strings.Contains(err.Error(), "without onnx support") {
			t.Errorf("onnx not compiled in: err = %v", err)
		}
	}
}

func TestOpenGoIsShared(t *testing.T) {
	a, err := Open("go")
	if err != nil {
		t.Fatal(err)
	}
	b := MustOpenGo()
	if a != b {
		t.Error("the go backend should be opened once per process")
	}
}
