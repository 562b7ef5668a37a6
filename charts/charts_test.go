package charts

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/plotter"
)

func TestDrawWritesPNG(t *testing.T) {
	runs := []Run{
		{Name: "a", Records: []map[string]float64{{"step": 1, "loss/train": 2}, {"step": 2, "loss/train": 1, "eval/acc": 0.5}}},
		{Name: "b", Records: []map[string]float64{{"step": 1, "loss/train": 3}, {"step": 2, "loss/train": math.NaN()}}},
	}
	keys := Keys(runs)
	if d := cmp.Diff([]string{"eval/acc", "loss/train"}, keys); d != "" {
		t.Fatal(d)
	}
	if got := len(Series(runs[1], "loss/train")); got != 1 {
		t.Errorf("NaN points must be skipped: %d points", got)
	}
	path := filepath.Join(t.TempDir(), "m.png")
	if err := Draw(path, runs, keys, 2); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 200 {
		t.Errorf("image %v too small", b)
	}
	if err := Draw(path, runs, nil, 2); err == nil {
		t.Error("no keys must be an error")
	}
}

func TestFilter(t *testing.T) {
	keys := []string{"eval/acc", "loss/train", "loss/eval", "lr"}
	if d := cmp.Diff([]string{"eval/acc", "loss/train", "loss/eval"}, Filter(keys, "loss/, eval")); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(keys, Filter(keys, "")); d != "" {
		t.Error(d)
	}
}

// A short series gets a marker on every point (a one-point series is only
// markers); a long one is a line alone.
func TestMarkersForShortSeries(t *testing.T) {
	rec := func(n int) Run {
		r := Run{Name: "r"}
		for s := 1; s <= n; s++ {
			r.Records = append(r.Records, map[string]float64{"step": float64(s), "k": float64(s)})
		}
		return r
	}
	for _, tc := range []struct {
		name           string
		points         int
		lines, markers int
	}{
		{"one point", 1, 0, 1},
		{"short", 5, 1, 1},
		{"long", 100, 1, 0},
		{"none", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := series(rec(tc.points), "k", palette[0])
			if err != nil {
				t.Fatal(err)
			}
			lines, scatters := 0, 0
			for _, p := range ps {
				switch p.(type) {
				case *plotter.Line:
					lines++
				case *plotter.Scatter:
					scatters++
				}
			}
			if lines != tc.lines || scatters != tc.markers {
				t.Errorf("%d lines, %d marker sets; want %d, %d", lines, scatters, tc.lines, tc.markers)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		integer bool
		lo, hi  float64
		want    []float64
	}{
		{"unit", false, 0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"small", false, 0.013, 0.41, []float64{0.1, 0.2, 0.3, 0.4}},
		{"steps", true, 1, 40, []float64{10, 20, 30, 40}},
		{"two steps", true, 1, 2, []float64{1, 2}},
		{"negative", false, -3, 7, []float64{-2, 0, 2, 4, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []float64
			for _, tk := range (niceTicks{integer: tc.integer}).Ticks(tc.lo, tc.hi) {
				got = append(got, tk.Value)
				if tk.Label != strconv.FormatFloat(tk.Value, 'g', -1, 64) {
					t.Errorf("label %q for %v", tk.Label, tk.Value)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ticks (-want +got):\n%s", d)
			}
		})
	}
}

// One legend for the figure: a band above the panels only when several
// runs share them.
func TestLegendBandOnlyForSeveralRuns(t *testing.T) {
	one := []Run{{Name: "a", Records: []map[string]float64{{"step": 1, "k": 1}}}}
	two := append(one, Run{Name: "b", Records: []map[string]float64{{"step": 1, "k": 2}}})
	height := func(runs []Run) int {
		path := filepath.Join(t.TempDir(), "m.png")
		if err := Draw(path, runs, []string{"k"}, 1); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(path)
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img.Bounds().Dy()
	}
	if h1, h2 := height(one), height(two); h2 <= h1 {
		t.Errorf("heights %d (one run) and %d (two runs): want a legend band for two", h1, h2)
	}
}
