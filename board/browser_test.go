package board

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"acecoder/internal/e2e"
)

// chromium finds the browser: $ACECODER_CHROMIUM, or Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ACECODER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	e2e.Require(t, "no Chromium (apt-get install chromium, or set ACECODER_CHROMIUM)")
	return ""
}

// The dashboard in a real headless browser: it lists the runs and the
// sweep, overlays the sweep's two runs in one panel with one legend for the
// page, draws the curves of a run that is still being written and adds its
// new points, shows a run's config, and a screenshot is kept.
func TestDashboardInChromium(t *testing.T) {
	exe := chromium(t)
	root, writer := fixtureRuns(t)
	addr := serveBoard(t, root)
	b := startBrowser(t, exe)
	url := fmt.Sprintf("http://%s/?runs=rl-rule,sweep-lr/000_lr=0.1,sweep-lr/001_lr=0.01,one-point", addr)
	if err := b.open(url, 1400, 950); err != nil {
		t.Fatal(err)
	}
	points := `(() => { const p = document.querySelector('.panel[data-key="loss/policy"] path[data-run="rl-rule"]'); return p ? +p.dataset.points : 0 })()`
	b.waitFor(t, "the live run's loss curve", points+" >= 3", 30*time.Second)
	var before int
	if err := b.eval(points, &before); err != nil {
		t.Fatal(err)
	}
	writer.more <- 2
	b.waitFor(t, "a new point of the live run", fmt.Sprintf("%s >= %d", points, before+2), 20*time.Second)

	checks := []struct{ what, expr string }{
		{"one legend with the four runs", `document.querySelectorAll('.legend').length === 1 && document.querySelectorAll('.legend span').length === 4`},
		{"the sweep's runs overlaid", `document.querySelectorAll('.panel[data-key="loss/bt"] path.series').length === 2`},
		{"the sweep marked as one", `[...document.querySelectorAll('#runs .group')].some(g => g.textContent.includes('sweep-lr') && g.textContent.includes('sweep'))`},
		{"a marker for a one-point series", `document.querySelectorAll('.panel[data-key="eval/accuracy"] circle[fill]').length >= 1`},
		{"loss panels first", `document.querySelector('#panels .panel').dataset.key.startsWith('loss/')`},
		{"the live run marked live", `document.querySelector('#runs label[data-run="rl-rule"] .live') !== null`},
		{"no error shown", `document.getElementById('status').className !== 'warn'`},
	}
	for _, c := range checks {
		b.waitFor(t, c.what, c.expr, 10*time.Second)
	}
	if err := b.eval(`document.querySelector('#runs label[data-run="rl-rule"] .name').click(), true`, new(bool)); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the run's config", `document.getElementById('config-text').textContent.includes('name: rl-rule')`, 10*time.Second)
	b.waitFor(t, "the run's run.json", `document.getElementById('config-text').textContent.includes('"backend": "go"')`, 10*time.Second)

	keepScreenshot(t, b)
}

// fixtureRuns writes a sweep of two finished runs, a one-point run and a
// run that is still being written, under a folder named runs.
func fixtureRuns(t *testing.T) (string, *liveRun) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "runs")
	for i, lr := range []string{"0.1", "0.01"} {
		writeRun(t, filepath.Join(root, "sweep-lr", fmt.Sprintf("%03d_lr=%s", i, lr)), 25, func(step int) string {
			s := float64(step)
			return fmt.Sprintf(`"loss/bt":%.4f,"eval/accuracy":%.4f`, 0.2+0.5*math.Exp(-s/float64(4+6*i))+0.02*math.Sin(3*s),
				0.5+0.3*(1-math.Exp(-s/float64(5+8*i))))
		})
	}
	os.WriteFile(filepath.Join(root, "sweep-lr", "summary.json"), []byte("[]"), 0o644)
	writeRun(t, filepath.Join(root, "one-point"), 1, func(int) string { return `"eval/accuracy":0.6` })
	return root, startLiveRun(t, filepath.Join(root, "rl-rule"))
}

// serveBoard serves root on a loopback port until the test ends.
func serveBoard(t *testing.T, root string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return ln.Addr().String()
}

// keepScreenshot saves a PNG of the page as a test artifact.
func keepScreenshot(t *testing.T, b *browser) {
	t.Helper()
	shot, err := b.screenshot()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() != 1400 {
		t.Fatalf("screenshot: %v, bounds %v", err, img.Bounds())
	}
	path := filepath.Join(e2e.ArtifactDir(t), "board.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// writeRun writes a finished run: config.yaml, run.json and n records.
func writeRun(t *testing.T, dir string, n int, values func(step int) string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for step := 1; step <= n; step++ {
		fmt.Fprintf(&b, `{"step":%d,"time":"2026-01-01T00:00:00Z",%s}`+"\n", step, values(step))
	}
	os.WriteFile(filepath.Join(dir, metricsFile), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, configFile), []byte("name: "+filepath.Base(dir)+"\nbackend: go\n"), 0o644)
	os.WriteFile(filepath.Join(dir, infoFile), []byte(`{"name":"`+filepath.Base(dir)+`","backend":"go"}`), 0o644)
}

// liveRun appends records to a run's metrics log as a trainer does, the
// last one of each batch in two writes (a line the reader must not take
// half of).
type liveRun struct{ more chan int }

func startLiveRun(t *testing.T, dir string) *liveRun {
	t.Helper()
	writeRun(t, dir, 0, nil)
	f, err := os.OpenFile(filepath.Join(dir, metricsFile), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := &liveRun{more: make(chan int)}
	stop := make(chan struct{})
	finished := make(chan struct{})
	step := 0
	write := func(n int) {
		for range n {
			step++
			s := float64(step)
			line := fmt.Sprintf(`{"step":%d,"time":"2026-01-01T00:00:00Z","loss/policy":%.4f,"reward/mean":%.4f,"reward/pass_rate":%.4f,"kl/actor_ref":%.5f}`+"\n",
				step, 0.05*math.Sin(1.7*s)-0.01, 0.3+0.4*(1-math.Exp(-s/4))+0.05*math.Sin(2.3*s), 0.4+0.35*(1-math.Exp(-s/5))+0.04*math.Cos(1.9*s), 0.002*s*s/(1+0.1*s))
			half := len(line) / 2
			f.WriteString(line[:half])
			time.Sleep(150 * time.Millisecond)
			f.WriteString(line[half:])
		}
	}
	go func() {
		defer close(finished)
		write(8)
		for {
			select {
			case n := <-w.more:
				write(n)
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-finished; f.Close() })
	return w
}
