package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gomlx/compute"
)

// Row is one measure of one shape: the project's value per backend and
// the reference's.
type Row struct {
	Shape   Shape
	Measure string // "train", "score", "decode b1", "decode b16"
	Unit    string // "tok/s" (higher is better) or "ms/step" (lower is better)
	Values  map[string]float64
	Torch   float64 // 0 when the reference did not run
}

// Speedup is how many times faster the backend is than PyTorch (0 when
// either is missing).
func (r Row) Speedup(backend string) float64 {
	v := r.Values[backend]
	if v == 0 || r.Torch == 0 {
		return 0
	}
	if r.Unit == "tok/s" {
		return v / r.Torch
	}
	return r.Torch / v
}

// Options of a run.
type Options struct {
	Shapes []Shape
	// Backends to measure, by the name printed in the table's header.
	Backends   []NamedBackend
	Warmup     int
	Steps      int // timed train and score steps
	DecodeRuns int // timed generations per decode batch size
	Torch      *Torch
	// Log receives a line per measurement as it is taken.
	Log io.Writer
}

// NamedBackend is a backend and its column name.
type NamedBackend struct {
	Name    string
	Backend compute.Backend
}

// Run measures every shape on every backend, then the reference, and
// returns the rows (four per shape).
func Run(ctx context.Context, o Options) ([]Row, map[string]TorchResult, error) {
	var rows []Row
	var lastTorch map[string]TorchResult
	for _, s := range o.Shapes {
		shapeRows := []Row{
			{Shape: s, Measure: "train", Unit: "tok/s", Values: map[string]float64{}},
			{Shape: s, Measure: "score", Unit: "tok/s", Values: map[string]float64{}},
			{Shape: s, Measure: "decode b1", Unit: "ms/step", Values: map[string]float64{}},
			{Shape: s, Measure: "decode b16", Unit: "ms/step", Values: map[string]float64{}},
		}
		for _, nb := range o.Backends {
			vals, err := measure(ctx, nb.Backend, s, o)
			if err != nil {
				return nil, nil, fmt.Errorf("bench: shape %s on %s: %w", s.Name, nb.Name, err)
			}
			for i := range shapeRows {
				shapeRows[i].Values[nb.Name] = vals[i]
				logf(o.Log, "(%s) %s on %s: %.4g %s", s.Name, shapeRows[i].Measure, nb.Name, vals[i], shapeRows[i].Unit)
			}
		}
		if o.Torch != nil {
			tr, err := o.Torch.Run(ctx, s.Name)
			if err != nil {
				return nil, nil, err
			}
			lastTorch = tr
			shapeRows[0].Torch = tr["train_step"].TokensPerS
			shapeRows[1].Torch = tr["score_fwd"].TokensPerS
			shapeRows[2].Torch = tr["decode_step/1"].MedianS * 1000
			shapeRows[3].Torch = tr["decode_step/16"].MedianS * 1000
			logf(o.Log, "(%s) PyTorch: train %.4g tok/s, score %.4g tok/s, decode %.3g / %.3g ms/step", s.Name,
				shapeRows[0].Torch, shapeRows[1].Torch, shapeRows[2].Torch, shapeRows[3].Torch)
		}
		rows = append(rows, shapeRows...)
	}
	return rows, lastTorch, nil
}

// measure returns train tok/s, score tok/s, decode ms/step at batch 1 and 16.
func measure(ctx context.Context, b compute.Backend, s Shape, o Options) ([4]float64, error) {
	var out [4]float64
	m, err := NewModel(b, s)
	if err != nil {
		return out, err
	}
	batch := Batch(s)
	tokens := float64(s.Batch * s.Seq)
	ts, err := NewTrainStep(m, batch)
	if err != nil {
		return out, err
	}
	t, err := Time(ts.Run, o.Warmup, o.Steps)
	if err != nil {
		return out, err
	}
	out[0] = tokens / t.Median().Seconds()
	t, err = Time(func() error { return Score(m, batch) }, o.Warmup, o.Steps)
	if err != nil {
		return out, err
	}
	out[1] = tokens / t.Median().Seconds()
	for i, db := range []int{1, 16} {
		d, err := NewDecoder(m, s, db)
		if err != nil {
			return out, err
		}
		step, err := DecodeStep(ctx, d, s, o.DecodeRuns)
		if err != nil {
			return out, err
		}
		out[2+i] = step.Seconds() * 1000
	}
	return out, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// PrintTable writes the rows as a Markdown table: one column per backend,
// then PyTorch and the speed ratio of each backend to it (> 1: faster).
func PrintTable(w io.Writer, rows []Row, backends []string) error {
	hasTorch := false
	for _, r := range rows {
		hasTorch = hasTorch || r.Torch != 0
	}
	head := []string{"config", "measure"}
	for _, b := range backends {
		head = append(head, "project ("+b+")")
	}
	if hasTorch {
		head = append(head, "PyTorch")
		for _, b := range backends {
			head = append(head, b+" / PyTorch")
		}
	}
	table := [][]string{head, nil}
	for _, r := range rows {
		cells := []string{"(" + r.Shape.Name + ")", r.Measure + ", " + r.Unit}
		for _, b := range backends {
			cells = append(cells, num(r.Values[b], r.Unit))
		}
		if hasTorch {
			cells = append(cells, num(r.Torch, r.Unit))
			for _, b := range backends {
				cells = append(cells, fmt.Sprintf("%.2f×", r.Speedup(b)))
			}
		}
		table = append(table, cells)
	}
	return writeMarkdown(w, table)
}

// writeMarkdown writes rows of cells as an aligned Markdown table; a nil
// row is the header separator.
func writeMarkdown(w io.Writer, table [][]string) error {
	width := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var sb strings.Builder
	for _, row := range table {
		for i := range width {
			cell := strings.Repeat("-", width[i])
			if row != nil {
				cell = row[i] + strings.Repeat(" ", width[i]-utf8.RuneCountInString(row[i]))
			}
			sb.WriteString("| " + cell + " ")
		}
		sb.WriteString("|\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func num(v float64, unit string) string {
	if v == 0 {
		return "—"
	}
	if unit == "tok/s" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
