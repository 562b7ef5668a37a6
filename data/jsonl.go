package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// LineError is a malformed input line: it names the file and the 1-based line.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// validator is implemented by rows that can reject themselves.
type validator interface{ Validate() error }

// maxLineBytes bounds one JSONL line (AceCode rows with 16 inferences are a
// few hundred kB; this leaves ample room).
const maxLineBytes = 256 << 20

// ReadJSONL streams the rows of a JSONL file to fn. Malformed lines (bad JSON,
// or a row whose Validate fails) are returned as *LineError and skipped; an
// error from fn, the context or the file aborts the read.
func ReadJSONL[T any](ctx context.Context, path string, fn func(line int, row T) error) ([]*LineError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return DecodeJSONL(ctx, f, path, fn)
}

// DecodeJSONL is ReadJSONL over any reader; name is used in line errors.
func DecodeJSONL[T any](ctx context.Context, r io.Reader, name string, fn func(line int, row T) error) ([]*LineError, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var bad []*LineError
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		raw, readErr := readLine(br)
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return bad, fmt.Errorf("data: read %s:%d: %w", name, line, readErr)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 {
			var row T
			if err := decodeRow(raw, &row); err != nil {
				bad = append(bad, &LineError{File: name, Line: line, Err: err})
			} else if err := fn(line, row); err != nil {
				return bad, err
			}
		}
		if errors.Is(readErr, io.EOF) {
			return bad, nil
		}
	}
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

func decodeRow[T any](raw []byte, row *T) error {
	if err := json.Unmarshal(raw, row); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if v, ok := any(row).(validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	} else if v, ok := any(*row).(validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Appender appends rows to a stage output. Opening it truncates a partial
// last line (a crash artefact) and collects the ids already written, so a
// rerun skips them. Each row is written with one write call. Has and Append
// may be called from different goroutines.
type Appender struct {
	mu   sync.Mutex
	f    *os.File
	path string
	seen map[string]bool
	// Dropped counts complete lines of the existing file that were unreadable.
	Dropped int
	// Truncated is the number of bytes of a partial last line removed on open.
	Truncated int64
}

// OpenAppender opens (creating if needed) the output at path for appending.
func OpenAppender(path string) (*Appender, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("data: output dir: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data: open output: %w", err)
	}
	a := &Appender{f: f, path: path, seen: map[string]bool{}}
	if err := a.recover(); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// recover streams the existing file, records the ids of its complete lines
// and truncates after the last newline.
func (a *Appender) recover() error {
	br := bufio.NewReaderSize(a.f, 1<<16)
	var keep int64
	for {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("data: read output %s: %w", a.path, err)
		}
		if errors.Is(err, io.EOF) {
			a.Truncated = int64(len(line)) // a last line without newline is partial
			break
		}
		keep += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if id, err := rowID(line); err != nil {
			a.Dropped++
		} else {
			a.seen[id] = true
		}
	}
	if a.Truncated > 0 {
		if err := a.f.Truncate(keep); err != nil {
			return fmt.Errorf("data: truncate partial line of %s: %w", a.path, err)
		}
	}
	if _, err := a.f.Seek(keep, io.SeekStart); err != nil {
		return fmt.Errorf("data: seek %s: %w", a.path, err)
	}
	return nil
}

// rowID reads the "id" member of a JSON object; numbers are kept as written.
func rowID(line []byte) (string, error) {
	var head struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(head.ID, &s); err == nil && s != "" {
		return s, nil
	}
	if len(head.ID) == 0 || string(head.ID) == "null" {
		return "", errors.New("row has no id")
	}
	return string(head.ID), nil
}

// Has reports whether id is already in the output.
func (a *Appender) Has(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[id]
}

// Len is the number of ids in the output.
func (a *Appender) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// Append writes row as one JSON line and records id.
func (a *Appender) Append(id string, row any) error {
	b, err := json.Marshal(row)
	if err != nil {
		return fmt.Errorf("data: encode row %s: %w", id, err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("data: write %s: %w", a.path, err)
	}
	a.seen[id] = true
	return nil
}

// Close syncs and closes the output.
func (a *Appender) Close() error {
	syncErr := a.f.Sync()
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("data: close %s: %w", a.path, err)
	}
	if syncErr != nil {
		return fmt.Errorf("data: sync %s: %w", a.path, syncErr)
	}
	return nil
}

// WriteJSONLAtomic writes rows to path through a temporary file and a rename,
// so readers never see a half-written file.
func WriteJSONLAtomic[T any](path string, rows []T) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		for i := range rows {
			if err := enc.Encode(rows[i]); err != nil {
				return fmt.Errorf("data: encode row %d: %w", i, err)
			}
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("data: write %s: %w", path, err)
		}
		return nil
	})
}
