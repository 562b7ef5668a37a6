package checkpoints

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkSave measures Save of a checkpoint with two files (weights and
// optimizer state) of the given size each, fsyncs included.
func BenchmarkSave(b *testing.B) {
	for _, size := range []int{1 << 20, 32 << 20} {
		b.Run(fmt.Sprintf("2x%dMiB", size>>20), func(b *testing.B) {
			root := b.TempDir()
			model, opt := pattern(1, size), pattern(2, size)
			content := Content{
				Files: []File{{Name: "model.safetensors", Write: Bytes(model)}, {Name: "optimizer.safetensors", Write: Bytes(opt)}},
				State: map[string]any{"loop": loopState{Step: 1}},
			}
			step := int64(0)
			b.SetBytes(int64(2 * size))
			for b.Loop() {
				step++
				if _, err := Save(context.Background(), root, step, content, Options{Keep: 2}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(step), "ms/save")
		})
	}
}

// BenchmarkLoad measures Load (manifest parse, size and SHA-256 of every file).
func BenchmarkLoad(b *testing.B) {
	for _, size := range []int{1 << 20, 32 << 20} {
		b.Run(fmt.Sprintf("2x%dMiB", size>>20), func(b *testing.B) {
			root := b.TempDir()
			content := Content{Files: []File{
				{Name: "model.safetensors", Write: Bytes(pattern(1, size))},
				{Name: "optimizer.safetensors", Write: Bytes(pattern(2, size))},
			}}
			if _, err := Save(context.Background(), root, 1, content, Options{}); err != nil {
				b.Fatal(err)
			}
			dir := filepath.Join(root, StepDirName(1))
			b.SetBytes(int64(2 * size))
			n := 0
			for b.Loop() {
				n++
				if _, err := Load(dir); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/load")
		})
	}
}
