// Package charts draws PNG line charts of training metrics: one panel per
// metric, one line per run, step on the x axis.
package charts

import (
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"
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

// Draw renders one panel per key (in a grid of up to cols columns) to a PNG
// file at path.
func Draw(path string, runs []Run, keys []string, cols int) error {
	if len(keys) == 0 {
		return fmt.Errorf("charts: no metrics to plot")
	}
	cols = max(1, min(cols, len(keys)))
	rows := (len(keys) + cols - 1) / cols
	const w, h = 5 * vg.Inch, 3.2 * vg.Inch
	img := vgimg.New(w*vg.Length(cols), h*vg.Length(rows))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	for i, key := range keys {
		p := plot.New()
		p.Title.Text = key
		p.X.Label.Text = "step"
		p.Legend.Top = true
		for j, r := range runs {
			pts := Series(r, key)
			if len(pts) == 0 {
				continue
			}
			line, err := plotter.NewLine(pts)
			if err != nil {
				return fmt.Errorf("charts: %s/%s: %w", r.Name, key, err)
			}
			line.Color = palette[j%len(palette)]
			line.Width = vg.Points(1.5)
			p.Add(line)
			if len(runs) > 1 {
				p.Legend.Add(shorten(r.Name), line)
			}
		}
		p.Add(plotter.NewGrid())
		p.Draw(tiles.At(dc, i%cols, i/cols))
	}
	f := vgimg.PngCanvas{Canvas: img}
	return writeFile(path, &f)
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
