package data

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Failure is one recorded failure: a failed request attempt (Final false) or
// a row that a stage gave up on (Final true). Nothing is dropped silently.
type Failure struct {
	Time    time.Time `json:"time"`
	Stage   string    `json:"stage"`
	ID      string    `json:"id"`
	Attempt int       `json:"attempt,omitempty"`
	Final   bool      `json:"final"`
	Reason  string    `json:"reason"`
	Detail  string    `json:"detail,omitempty"`
}

// FailureLog appends failures as JSONL. A nil *FailureLog discards records
// but still counts them. It is safe for concurrent use.
type FailureLog struct {
	mu     sync.Mutex
	f      *os.File
	counts map[string]int
	err    error
}

// OpenFailureLog opens path for appending; an empty path keeps counts only.
func OpenFailureLog(path string) (*FailureLog, error) {
	l := &FailureLog{counts: map[string]int{}}
	if path == "" {
		return l, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("data: failures dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data: open failures: %w", err)
	}
	l.f = f
	return l, nil
}

// maxDetail caps the reply text kept with a failure.
const maxDetail = 2000

// Record appends one failure.
func (l *FailureLog) Record(f Failure) {
	if l == nil {
		return
	}
	if f.Time.IsZero() {
		f.Time = time.Now().UTC()
	}
	if len(f.Detail) > maxDetail {
		f.Detail = f.Detail[:maxDetail] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := f.Stage + "/attempt"
	if f.Final {
		key = f.Stage + "/final"
	}
	l.counts[key]++
	if l.f == nil || l.err != nil {
		return
	}
	b, err := json.Marshal(f)
	if err == nil {
		_, err = l.f.Write(append(b, '\n'))
	}
	l.err = err
}

// Counts returns failures per "stage/final" and "stage/attempt".
func (l *FailureLog) Counts() map[string]int {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

// Close closes the log and reports the first write error.
func (l *FailureLog) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	if l.err != nil {
		return fmt.Errorf("data: failures log: %w", l.err)
	}
	return nil
}
