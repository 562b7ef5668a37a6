package checkpoints

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func validManifestJSON(t *testing.T) []byte {
	t.Helper()
	m := Manifest{
		FormatVersion: FormatVersion, Step: 12, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Config: "config.yaml",
		Files: map[string]FileInfo{
			"model.safetensors": {SHA256: hashA, Size: 4},
			"config.yaml":       {SHA256: hashA, Size: 4},
		},
	}
	data, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseManifest(t *testing.T) {
	good := string(validManifestJSON(t))
	tests := []struct {
		name    string
		data    string
		wantErr string // "" means valid
	}{
		{name: "valid", data: good},
		{name: "not json", data: "{", wantErr: "decode manifest"},
		{name: "no version", data: `{"step":1}`, wantErr: "no format_version"},
		{name: "future version", data: strings.Replace(good, `"format_version":1`, `"format_version":2`, 1),
			wantErr: "unsupported manifest format_version 2"},
		{name: "unknown field", data: strings.Replace(good, `"step":12`, `"step":12,"extra":true`, 1),
			wantErr: "unknown field"},
		{name: "trailing data", data: good + "{}", wantErr: "after top-level value"},
		{name: "negative step", data: strings.Replace(good, `"step":12`, `"step":-1`, 1), wantErr: "negative"},
		{name: "bad hash", data: strings.Replace(good, hashA, strings.ToUpper(hashA), 1), wantErr: "64 lower-case hex"},
		{name: "path in name", data: strings.Replace(good, `"model.safetensors"`, `"../model.safetensors"`, 1),
			wantErr: "must not start"},
		{name: "slash in name", data: strings.Replace(good, `"model.safetensors"`, `"a/b"`, 1),
			wantErr: "not allowed"},
		{name: "config not listed", data: strings.Replace(good, `"config":"config.yaml"`, `"config":"c.yaml"`, 1),
			wantErr: "not listed in files"},
		{name: "no files", data: `{"format_version":1,"step":0,"created":"2026-01-01T00:00:00Z"}`,
			wantErr: "files is missing"},
		{name: "no created", data: `{"format_version":1,"step":0,"files":{}}`, wantErr: "created is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.data))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseManifest: %v", err)
				}
				if diff := cmp.Diff([]string{"config.yaml", "model.safetensors"}, m.Names()); diff != "" {
					t.Errorf("Names() mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseManifest error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		file string
		ok   bool
	}{
		{name: "weights", file: "model.safetensors", ok: true},
		{name: "state", file: "rng_state-1.json", ok: true},
		{name: "empty", file: ""},
		{name: "manifest", file: ManifestName},
		{name: "hidden", file: ".tmp-x"},
		{name: "dash first", file: "-x"},
		{name: "dotdot", file: ".."},
		{name: "separator", file: "a/b"},
		{name: "space", file: "a b"},
		{name: "non ascii", file: "modèle.bin"},
		{name: "too long", file: strings.Repeat("a", maxNameLen+1)},
		{name: "longest", file: strings.Repeat("a", maxNameLen), ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateName(tc.file)
			if (err == nil) != tc.ok {
				t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.file, err, tc.ok)
			}
		})
	}
}

func TestStepDirName(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		step    int64
		matches bool
	}{
		{name: "zero", dir: "step-00000000", step: 0, matches: true},
		{name: "typical", dir: "step-00001234", step: 1234, matches: true},
		{name: "nine digits", dir: "step-123456789", step: 123456789, matches: true},
		{name: "short", dir: "step-1234"},
		{name: "extra zero", dir: "step-000001234"},
		{name: "sign", dir: "step-+0001234"},
		{name: "suffix", dir: "step-00001234.old"},
		{name: "tmp", dir: ".tmp-step-00001234-99"},
		{name: "overflow", dir: "step-99999999999999999999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := ParseStepDirName(tc.dir)
			if ok != tc.matches || step != tc.step {
				t.Fatalf("ParseStepDirName(%q) = %d, %v; want %d, %v", tc.dir, step, ok, tc.step, tc.matches)
			}
			if ok && StepDirName(step) != tc.dir {
				t.Errorf("StepDirName(%d) = %q, want %q", step, StepDirName(step), tc.dir)
			}
		})
	}
}

// FuzzParseManifest checks that any manifest ParseManifest accepts is
// internally valid and survives a re-encode unchanged.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format_version":1,"step":3,"created":"2026-01-01T00:00:00Z","files":{}}`))
	f.Add([]byte(`{"format_version":1,"step":3,"created":"2026-01-01T00:00:00Z","config":"c.yaml",` +
		`"files":{"c.yaml":{"sha256":"` + hashA + `","size":4}}}`))
	f.Add([]byte(`{"format_version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted manifest fails Validate: %v", err)
		}
		for _, name := range m.Names() {
			if strings.ContainsAny(name, `/\`) || name == ManifestName {
				t.Fatalf("accepted unsafe file name %q", name)
			}
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := ParseManifest(again)
		if err != nil {
			t.Fatalf("re-encoded manifest refused: %v\n%s", err, again)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseStepDirName checks that accepted names round-trip exactly.
func FuzzParseStepDirName(f *testing.F) {
	for _, s := range []string{"step-00000001", "step-123456789", "step-1", "step--0000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		step, ok := ParseStepDirName(name)
		if !ok {
			return
		}
		if step < 0 || StepDirName(step) != name {
			t.Fatalf("ParseStepDirName(%q) = %d, which formats as %q", name, step, StepDirName(step))
		}
	})
}
