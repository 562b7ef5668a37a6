package charts

import (
	"io"
	"os"
	"path/filepath"
)

// writeFile writes a PNG through a temporary file and a rename, so a chart
// on disk is never half written.
func writeFile(path string, w io.WriterTo) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chart-*.png")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := w.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
