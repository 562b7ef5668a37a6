package progress

import (
	"bytes"
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
