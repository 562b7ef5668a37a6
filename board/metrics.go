package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
)

// maxChunk bounds the bytes of metrics one request returns; the client
// asks again from the offset it gets back.
const maxChunk = 4 << 20

// Chunk is the part of a metrics log written since an offset.
type Chunk struct {
	Records []map[string]any `json:"records"`
	Offset  int64            `json:"offset"` // where to read from next
	Reset   bool             `json:"reset"`  // the file shrank: these records start it again
	Errors  []string         `json:"errors,omitempty"`
}

// readChunk reads the complete lines of a metrics log from offset on. A
// line still being written (no newline yet) is left for the next call; a
// malformed line is reported by number and skipped.
func readChunk(f fs.File, name string, offset int64) (*Chunk, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	c := &Chunk{Records: []map[string]any{}}
	if offset > st.Size() || offset < 0 {
		offset, c.Reset = 0, true
	}
	seeker, ok := f.(io.Seeker)
	if !ok {
		return nil, fmt.Errorf("board: %s cannot seek", name)
	}
	if _, err := seeker.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxChunk))
	if err != nil {
		return nil, err
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	var bad []int
	for i, raw := range bytes.Split(data[:end], []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var rec map[string]any
		if json.Unmarshal(raw, &rec) != nil {
			bad = append(bad, i)
			continue
		}
		c.Records = append(c.Records, rec)
	}
	if len(bad) > 0 {
		base := lineNumber(f, offset)
		for _, i := range bad {
			c.Errors = append(c.Errors, fmt.Sprintf("%s:%d: not a JSON object", name, base+i+1))
		}
	}
	c.Offset = offset + int64(end)
	return c, nil
}

// lineNumber is the number of lines before offset, for error messages
// (0 when the file cannot be reread).
func lineNumber(f fs.File, offset int64) int {
	ra, ok := f.(io.ReaderAt)
	if !ok || offset == 0 {
		return 0
	}
	buf := make([]byte, offset)
	n, _ := ra.ReadAt(buf, 0)
	return bytes.Count(buf[:n], []byte("\n"))
}
