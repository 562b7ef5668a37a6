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

// live reports whether the bar draws and has not finished: a finished bar
// has ended its line, and drawing it again would leave the cursor after it,
// where the next message would be glued on.
func (b *Bar) live() bool { return b != nil && b.bar != nil && !b.bar.IsFinished() }

// Add advances the bar by n; reaching the total finishes it.
func (b *Bar) Add(n int) {
	if b.live() {
		_ = b.bar.Add(n)
	}
}

// Describe changes the text beside the bar (e.g. the latest loss).
func (b *Bar) Describe(s string) {
	if b.live() {
		b.bar.Describe(s)
	}
}

// Finish completes the bar and ends its line; calling it again does
// nothing.
func (b *Bar) Finish() {
	if b.live() {
		_ = b.bar.Finish()
	}
}

// Enabled reports whether the bar draws.
func (b *Bar) Enabled() bool { return b != nil && b.bar != nil }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// LogWriter is w for messages printed while a bar may be drawn on the same
// terminal: each line starts by clearing the terminal line, so a message
// replaces a half-drawn bar instead of being glued to its end (the bar
// draws again below it at its next update). Where w is not a terminal it
// is w itself.
func LogWriter(w io.Writer) io.Writer {
	if !isTerminal(w) {
		return w
	}
	return &lineClearer{w: w, atStart: true}
}

// lineClearer writes "\r\x1b[K" (carriage return, erase to the end of the
// line) before every line.
type lineClearer struct {
	w       io.Writer
	atStart bool
}

func (l *lineClearer) Write(p []byte) (int, error) {
	var out []byte
	for _, c := range p {
		if l.atStart {
			out = append(out, "\r\x1b[K"...)
		}
		out = append(out, c)
		l.atStart = c == '\n'
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
