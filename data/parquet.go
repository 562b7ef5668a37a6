package data

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// pqMessage, pqInference and pqAceCode mirror the AceCode-87K Parquet schema.
type pqMessage struct {
	Content string `parquet:"content"`
	Role    string `parquet:"role"`
}

type pqInference struct {
	ModelName    string  `parquet:"model_name"`
	CompletionID int64   `parquet:"completion_id"`
	Completion   string  `parquet:"completion"`
	PassRate     float64 `parquet:"pass_rate"`
	TestResults  []int64 `parquet:"test_results,list"`
}

type pqAceCode struct {
	ID              string        `parquet:"id"`
	Source          string        `parquet:"source"`
	Question        string        `parquet:"question"`
	TestCases       []string      `parquet:"test_cases,list"`
	Inferences      []pqInference `parquet:"inferences,list"`
	ContextMessages []pqMessage   `parquet:"context_messages,list"`
}

func (p pqAceCode) row() AceCodeRow {
	r := AceCodeRow{ID: p.ID, Source: p.Source, Question: p.Question, TestCases: p.TestCases}
	for _, m := range p.ContextMessages {
		r.ContextMessages = append(r.ContextMessages, Message{Role: m.Role, Content: m.Content})
	}
	for _, inf := range p.Inferences {
		tr := make([]int, len(inf.TestResults))
		for i, v := range inf.TestResults {
			tr[i] = int(v)
		}
		r.Inferences = append(r.Inferences, Inference{ModelName: inf.ModelName, CompletionID: int(inf.CompletionID),
			Completion: inf.Completion, PassRate: inf.PassRate, TestResults: tr})
	}
	return r
}

func toPQ(r AceCodeRow) pqAceCode {
	p := pqAceCode{ID: r.ID, Source: r.Source, Question: r.Question, TestCases: r.TestCases}
	for _, m := range r.ContextMessages {
		p.ContextMessages = append(p.ContextMessages, pqMessage{Content: m.Content, Role: m.Role})
	}
	for _, inf := range r.Inferences {
		tr := make([]int64, len(inf.TestResults))
		for i, v := range inf.TestResults {
			tr[i] = int64(v)
		}
		p.Inferences = append(p.Inferences, pqInference{ModelName: inf.ModelName, CompletionID: int64(inf.CompletionID),
			Completion: inf.Completion, PassRate: inf.PassRate, TestResults: tr})
	}
	return p
}

// readParquet streams the rows of a Parquet file as T. parquet-go may panic
// on corrupt input; the panic is turned into an error here.
func readParquet[T any](ctx context.Context, r io.ReaderAt, size int64, name string, fn func(row int, v T) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("data: parquet %s: corrupt file: %v", name, p)
		}
	}()
	if err := checkFooter(r, size); err != nil {
		return fmt.Errorf("data: parquet %s: %w", name, err)
	}
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return fmt.Errorf("data: parquet %s: %w", name, err)
	}
	rd := parquet.NewGenericReader[T](f)
	defer rd.Close()
	buf := make([]T, 64)
	row := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := rd.Read(buf)
		for i := 0; i < n; i++ {
			row++
			if err := fn(row, buf[i]); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("data: parquet %s: row %d: %w", name, row, rerr)
		}
	}
}

// checkFooter rejects a file whose footer length does not fit in it before
// parquet-go allocates a buffer of that length (a corrupt length made
// OpenFile allocate gigabytes in fuzzing).
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return errors.New("file too small")
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("read footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return errors.New("missing PAR1 magic")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n+12 > size {
		return fmt.Errorf("footer length %d exceeds file size %d", n, size)
	}
	return nil
}

func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("data: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("data: %w", err)
	}
	return f, st.Size(), nil
}

// IsParquet reports whether path names a Parquet file (by extension).
func IsParquet(path string) bool { return strings.EqualFold(filepath.Ext(path), ".parquet") }

// ReadAceCode streams AceCode-87K rows from a Parquet file or a JSONL file.
// Rows failing validation are reported like malformed lines (the "line" of a
// Parquet file is its 1-based row number).
func ReadAceCode(ctx context.Context, path string, fn func(r AceCodeRow) error) ([]*LineError, error) {
	if !IsParquet(path) {
		return ReadJSONL(ctx, path, func(_ int, r AceCodeRow) error { return fn(r) })
	}
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var bad []*LineError
	err = readParquet(ctx, f, size, path, func(row int, p pqAceCode) error {
		r := p.row()
		if verr := r.Validate(); verr != nil {
			bad = append(bad, &LineError{File: path, Line: row, Err: verr})
			return nil
		}
		return fn(r)
	})
	return bad, err
}

// ReadPairs streams AceCodePair-300K rows from a Parquet or JSONL file.
func ReadPairs(ctx context.Context, path string, fn func(p FactoryPair) error) ([]*LineError, error) {
	if !IsParquet(path) {
		return ReadJSONL(ctx, path, func(_ int, p FactoryPair) error { return fn(p) })
	}
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var bad []*LineError
	err = readParquet(ctx, f, size, path, func(row int, p FactoryPair) error {
		if verr := p.Validate(); verr != nil {
			bad = append(bad, &LineError{File: path, Line: row, Err: verr})
			return nil
		}
		return fn(p)
	})
	return bad, err
}

// writeParquet writes rows to w.
func writeParquet[T any](w io.Writer, rows []T) error {
	pw := parquet.NewGenericWriter[T](w)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("data: parquet write: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("data: parquet close: %w", err)
	}
	return nil
}

// WriteAceCodeParquet writes rows in the AceCode-87K Parquet schema.
func WriteAceCodeParquet(w io.Writer, rows []AceCodeRow) error {
	pq := make([]pqAceCode, len(rows))
	for i, r := range rows {
		pq[i] = toPQ(r)
	}
	return writeParquet(w, pq)
}

// WritePairsParquet writes pairs in the AceCodePair-300K Parquet schema.
func WritePairsParquet(w io.Writer, pairs []FactoryPair) error { return writeParquet(w, pairs) }

// writeFileAtomic writes a file through a temporary file and a rename.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("data: output dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("data: temp output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("data: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("data: close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("data: rename to %s: %w", path, err)
	}
	return nil
}
