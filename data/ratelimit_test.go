package data

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		u          float64
		want       time.Duration
	}{
		{"first, no jitter draw", 0, 0, 0, 50 * time.Millisecond},
		{"first, max jitter", 0, 0, 1, 100 * time.Millisecond},
		{"doubles", 2, 0, 1, 400 * time.Millisecond},
		{"capped", 10, 0, 1, time.Second},
		{"huge attempt capped", 1000, 0, 0, 500 * time.Millisecond},
		{"retry-after wins", 0, 3 * time.Second, 0.5, 3 * time.Second},
		{"backoff above retry-after", 3, 100 * time.Millisecond, 1, 800 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := backoffDelay(tc.attempt, 100*time.Millisecond, time.Second, tc.retryAfter, tc.u)
			if got != tc.want {
				t.Errorf("backoffDelay = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 2, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "2", 2 * time.Second, true},
		{"fraction", "0.25", 250 * time.Millisecond, true},
		{"http date", "Mon, 03 Feb 2025 10:00:05 GMT", 5 * time.Second, true},
		{"past date", "Mon, 03 Feb 2025 09:00:00 GMT", 0, true},
		{"empty", "", 0, false},
		{"garbage", "soon", 0, false},
		{"negative", "-3", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tc.in, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestTokenBucket(t *testing.T) {
	b := newTokenBucket(10, 2) // 10/s, burst 2
	t0 := time.Unix(100, 0)
	steps := []struct {
		name string
		at   time.Duration
		want time.Duration
	}{
		{"burst 1", 0, 0},
		{"burst 2", 0, 0},
		{"queued one", 0, 100 * time.Millisecond},
		{"queued two", 0, 200 * time.Millisecond},
		{"refilled after wait", 500 * time.Millisecond, 0},
		{"refill capped at burst", 10 * time.Second, 0},
		{"second of burst", 10 * time.Second, 0},
		{"empty again", 10 * time.Second, 100 * time.Millisecond},
	}
	for _, s := range steps {
		if got := b.reserve(t0.Add(s.at)); got != s.want {
			t.Errorf("%s: reserve = %v, want %v", s.name, got, s.want)
		}
	}
}
