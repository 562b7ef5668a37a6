package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestDisabledWhenNotTerminalOrQuiet(t *testing.T) {
	var buf bytes.Buffer
	for _, opts := range []Options{{Writer: &buf}, {Writer: &buf, Quiet: true, Force: true}} {
		b := New(10, "work", opts)
		b.Add(5)
		b.Describe("x")
		b.Finish()
		if b.Enabled() || buf.Len() != 0 {
			t.Errorf("opts %+v: bar drew %q", opts, buf.String())
		}
	}
	var nilBar *Bar
	nilBar.Add(1) // a nil bar is a disabled bar
}

func TestForcedBarDraws(t *testing.T) {
	var buf bytes.Buffer
	b := New(4, "work", Options{Writer: &buf, Force: true})
	for range 4 {
		b.Add(1)
	}
	b.Finish()
	if !b.Enabled() || !strings.Contains(buf.String(), "work") || !strings.Contains(buf.String(), "4/4") {
		t.Errorf("bar output = %q", buf.String())
	}
}

// A finished bar stays finished: its line is ended once, and a later
// Describe or Add (a trainer's last step) does not draw it again after the
// newline, where the next message would be glued on.
func TestFinishedBarEndsItsLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		use  func(b *Bar)
	}{
		{"describe after the last step", func(b *Bar) { b.Add(4); b.Describe("loss 0.1"); b.Finish() }},
		{"finish early", func(b *Bar) { b.Add(2); b.Finish(); b.Add(1); b.Describe("x"); b.Finish() }},
		{"unknown total", func(b *Bar) { b.Add(3); b.Finish(); b.Describe("y") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			total := 4
			if tc.name == "unknown total" {
				total = -1
			}
			b := New(total, "work", Options{Writer: &buf, Force: true})
			tc.use(b)
			buf.WriteString("next message")
			out := buf.String()
			if !strings.HasSuffix(out, "\nnext message") || strings.Count(out, "\n") != 1 {
				t.Errorf("output %q: want the bar's line ended once, right before the next message", out)
			}
		})
	}
}

func TestLogWriterClearsTheLineFirst(t *testing.T) {
	var buf bytes.Buffer
	w := &lineClearer{w: &buf, atStart: true}
	w.Write([]byte("a\nb"))
	w.Write([]byte("c\n"))
	if got, want := buf.String(), "\r\x1b[Ka\n\r\x1b[Kbc\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	var plain bytes.Buffer
	if LogWriter(&plain) != io.Writer(&plain) {
		t.Error("a writer that is not a terminal must be passed through")
	}
}
