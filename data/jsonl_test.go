package data

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadJSONLMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.jsonl")
	content := `{"id":"a","question":"q","tests":["assert 1"]}
{"id":"b","question":"q","tests":["assert 1"]
not json

{"id":"c","question":"","tests":["assert 1"]}
{"id":"d","question":"q","tests":["assert 1"]}`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var ids []string
	bad, err := ReadJSONL(context.Background(), path, func(line int, r QuestionRow) error {
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "d"}, ids); diff != "" {
		t.Errorf("good rows (-want +got):\n%s", diff)
	}
	var lines []int
	for _, e := range bad {
		lines = append(lines, e.Line)
		if !strings.HasPrefix(e.Error(), path+":") {
			t.Errorf("error %q does not name the file", e)
		}
	}
	if diff := cmp.Diff([]int{2, 3, 5}, lines); diff != "" {
		t.Errorf("malformed lines (-want +got):\n%s", diff)
	}
}

func TestAppenderTruncatesPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	if err := os.WriteFile(path, []byte("{\"id\":\"a\"}\n{\"id\":7}\ngarbage\n{\"id\":\"c\",\"x\":"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Has("a") || !a.Has("7") || a.Has("c") || a.Dropped != 1 || a.Truncated != int64(len(`{"id":"c","x":`)) {
		t.Errorf("state after open: has a=%v 7=%v c=%v dropped=%d truncated=%d", a.Has("a"), a.Has("7"), a.Has("c"), a.Dropped, a.Truncated)
	}
	if err := a.Append("c", map[string]string{"id": "c"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "{\"id\":\"a\"}\n{\"id\":7}\ngarbage\n{\"id\":\"c\"}\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

func TestCountLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.jsonl")
	os.WriteFile(path, []byte("a\n\n  b\n \nc"), 0o644)
	if n, err := CountLines(path); err != nil || n != 3 {
		t.Errorf("CountLines = %d, %v; want 3", n, err)
	}
}

// FuzzDecodeJSONL checks that the reader never fails on content (only on
// I/O), reports malformed lines with valid numbers, and that every line is
// either delivered or reported.
func FuzzDecodeJSONL(f *testing.F) {
	f.Add("{\"id\":\"a\",\"question\":\"q\",\"tests\":[\"assert 1\"]}\n{\n\n")
	f.Add("\xff\xfe\n{\"id\":1}")
	f.Add("[]\nnull\n{\"tests\":null}")
	f.Fuzz(func(t *testing.T, s string) {
		good := 0
		bad, err := DecodeJSONL(context.Background(), strings.NewReader(s), "fuzz", func(_ int, r QuestionRow) error {
			if r.Validate() != nil {
				t.Fatalf("invalid row delivered: %+v", r)
			}
			good++
			return nil
		})
		if err != nil {
			t.Fatalf("DecodeJSONL: %v", err)
		}
		nonEmpty := 0
		for _, l := range strings.Split(s, "\n") {
			if len(bytes.TrimSpace([]byte(l))) > 0 {
				nonEmpty++
			}
		}
		if good+len(bad) != nonEmpty {
			t.Fatalf("%d good + %d bad != %d non-empty lines", good, len(bad), nonEmpty)
		}
		for _, e := range bad {
			if e.Line < 1 || e.File != "fuzz" {
				t.Fatalf("bad LineError %+v", e)
			}
		}
	})
}
