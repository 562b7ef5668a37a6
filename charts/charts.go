// Package charts draws PNG line charts of training metrics: one panel per
// metric, one line per run, step on the x axis.
package charts

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Run is one run's metric records (as rundir.ReadMetrics returns them).
type Run struct {
	Name    string
	Records []map[string]float64
}

// Keys lists the metric keys any run logged, sorted ("step" and "time"
// excluded).
func Keys(runs []Run) []string {
	keys := map[string]bool{}
	for _, r := range runs {
		for _, rec := range r.Records {
			for k := range rec {
				if k != "step" && k != "time" {
					keys[k] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// Series returns the (step, value) points of key in a run, in log order;
// records without the key or with a non-finite value are skipped.
func Series(r Run, key string) plotter.XYs {
	var pts plotter.XYs
	for _, rec := range r.Records {
		v, ok := rec[key]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: rec["step"], Y: v})
	}
	return pts
}

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255},
}

// markerLimit is the most points a series has and still gets a marker on
// each point (a one-point series is otherwise invisible, a short one hard
// to read).
const markerLimit = 30

// Draw renders one panel per key (in a grid of up to cols columns) to a PNG
// file at path. With several runs the figure has one legend, above the
// panels; every panel uses the same colour for a run.
func Draw(path string, runs []Run, keys []string, cols int) error {
	if len(keys) == 0 {
		return fmt.Errorf("charts: no metrics to plot")
	}
	cols = max(1, min(cols, len(keys)))
	rows := (len(keys) + cols - 1) / cols
	const w, h = 5 * vg.Inch, 3.2 * vg.Inch
	legendH := vg.Length(0)
	if len(runs) > 1 {
		legendH = vg.Length(len(runs))*legendRow + 2*vg.Millimeter
	}
	img := vgimg.New(w*vg.Length(cols), h*vg.Length(rows)+legendH)
	dc := draw.New(img)
	panels := draw.Crop(dc, 0, 0, 0, -legendH)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	legend := plot.NewLegend()
	legend.Top, legend.Left, legend.Padding = true, true, vg.Millimeter
	for i, key := range keys {
		p := plot.New()
		p.Title.Text = key
		p.X.Label.Text = "step"
		p.X.Tick.Marker = niceTicks{integer: true}
		p.Y.Tick.Marker = niceTicks{}
		for j, r := range runs {
			thumbs, err := series(r, key, palette[j%len(palette)])
			if err != nil {
				return fmt.Errorf("charts: %s/%s: %w", r.Name, key, err)
			}
			p.Add(thumbs...)
			if i == 0 && len(runs) > 1 {
				legend.Add(shorten(r.Name), legendThumb(palette[j%len(palette)]))
			}
		}
		p.Add(plotter.NewGrid())
		p.Draw(tiles.At(panels, i%cols, i/cols))
	}
	if len(runs) > 1 {
		legend.Draw(draw.Crop(dc, 2*vg.Millimeter, 0, h*vg.Length(rows), -vg.Millimeter))
	}
	f := vgimg.PngCanvas{Canvas: img}
	return writeFile(path, &f)
}

// legendRow is the height of one legend entry.
const legendRow = 6 * vg.Millimeter

// series draws one run's points of key: a line, with a marker on every
// point when there are few of them.
func series(r Run, key string, c color.Color) ([]plot.Plotter, error) {
	pts := Series(r, key)
	var out []plot.Plotter
	if len(pts) >= 2 {
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = c, vg.Points(1.5)
		out = append(out, line)
	}
	if len(pts) > 0 && len(pts) <= markerLimit {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		out = append(out, sc)
	}
	return out, nil
}

// legendThumb is a run's legend entry: a short thick line of its colour.
func legendThumb(c color.Color) plot.Thumbnailer {
	l := &plotter.Line{LineStyle: draw.LineStyle{Color: c, Width: vg.Points(3)}}
	return l
}

// niceTicks puts about five labelled ticks at round values (1, 2, 2.5 or
// 5 times a power of ten); on the step axis (integer) only at whole
// numbers.
type niceTicks struct{ integer bool }

func (n niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if n.integer {
		step = math.Max(1, math.Round(step))
	}
	var out []plot.Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(i*step, 'g', 12, 64), 64) // 0.30000000000000004 → 0.3
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	return out
}

func shorten(s string) string {
	if len(s) > 40 {
		return "…" + s[len(s)-39:]
	}
	return s
}

// Filter keeps the keys matching any of the comma-separated prefixes (all
// keys when prefixes is empty).
func Filter(keys []string, prefixes string) []string {
	if strings.TrimSpace(prefixes) == "" {
		return keys
	}
	var out []string
	for _, k := range keys {
		for _, p := range strings.Split(prefixes, ",") {
			if p = strings.TrimSpace(p); p != "" && strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
