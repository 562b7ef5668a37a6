package rundir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
)

// Metrics appends one JSON object per line to metrics.jsonl. Each record
// holds "step", "time" (RFC 3339) and the given values; keys are namespaced
// ("loss/policy", "reward/mean", "rollout/tokens_per_s"). Safe for
// concurrent use. Every record is written through to the file, so a crash
// loses at most the line being written.
type Metrics struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
}

// OpenMetrics opens (creating if needed) a metrics log for appending. A
// partial last line left by a crash is cut off first.
func OpenMetrics(path string) (*Metrics, error) {
	if err := dropPartialLine(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Metrics{f: f, path: path, now: time.Now}, nil
}

// Log appends a record for step.
func (m *Metrics) Log(step int, values map[string]float64) error {
	rec := make(map[string]any, len(values)+2)
	for k, v := range values {
		rec[k] = v
	}
	rec["step"] = step
	rec["time"] = m.now().UTC().Format(time.RFC3339Nano)
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("metrics: step %d: %w", step, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// TruncateAfter removes every record with a step greater than step, so a run
// resumed from a checkpoint at step does not log those steps twice.
func (m *Metrics) TruncateAfter(step int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, err := ReadMetrics(m.path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, r := range recs {
		if int(r["step"]) > step {
			continue
		}
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(append(line, '\n'))
	}
	if err := m.f.Close(); err != nil {
		return err
	}
	if err := WriteFileAtomic(m.path, buf.Bytes()); err != nil {
		return err
	}
	f, err := os.OpenFile(m.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	m.f = f
	return nil
}

// Close closes the log.
func (m *Metrics) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.f.Close()
}

// ReadMetrics reads a metrics log; the "time" field is dropped so every value
// is a number. A malformed line is an error naming its line number.
func ReadMetrics(path string) ([]map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	var out []map[string]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("metrics %s:%d: %w", path, line, err)
		}
		rec := map[string]float64{}
		for _, k := range slices.Sorted(maps.Keys(raw)) {
			if v, ok := raw[k].(float64); ok {
				rec[k] = v
			}
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

// dropPartialLine cuts a trailing line without its newline (a write cut
// short by a crash).
func dropPartialLine(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	keep := bytes.LastIndexByte(data, '\n') + 1
	return f.Truncate(int64(keep))
}
