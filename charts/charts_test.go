package charts

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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
