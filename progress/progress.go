// Package progress draws progress bars on stderr for long loops. Bars are
// off when stderr is not a terminal or when the user asked for quiet output;
// a disabled bar costs nothing and prints nothing.
package progress

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is a progress bar; the zero value and a nil *Bar are disabled bars.
type Bar struct {
	bar *progressbar.ProgressBar
}

// Options configures a bar.
type Options struct {
	Quiet  bool      // never draw
	Writer io.Writer // default os.Stderr; bars are drawn only on a terminal
	Force  bool      // draw even when Writer is not a terminal (tests)
}

// New returns a bar over total steps (-1 for unknown) titled desc.
func New(total int, desc string, opts Options) *Bar {
	w := opts.Writer
	if w == nil {
		w = os.Stderr
	}
	if opts.Quiet || (!opts.Force && !isTerminal(w)) {
		return &Bar{}
	}
	b := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(w, "\n") }),
	)
	return &Bar{bar: b}
}

// Add advances the bar by n.
func (b *Bar) Add(n int) {
	if b == nil || b.bar == nil {
		return
	}
	_ = b.bar.Add(n)
}

// Describe changes the text beside the bar (e.g. the latest loss).
func (b *Bar) Describe(s string) {
	if b == nil || b.bar == nil {
		return
	}
	b.bar.Describe(s)
}

// Finish completes the bar.
func (b *Bar) Finish() {
	if b == nil || b.bar == nil {
		return
	}
	_ = b.bar.Finish()
}

// Enabled reports whether the bar draws.
func (b *Bar) Enabled() bool { return b != nil && b.bar != nil }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
