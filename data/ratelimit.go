package data

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// backoffDelay is the wait before retry number attempt (0-based):
// min(maxDelay, base·2^attempt) scaled by a jitter factor in [0.5, 1)
// drawn from u ∈ [0, 1) ("equal jitter"), and never shorter than
// retryAfter, the server's Retry-After (0 when absent).
func backoffDelay(attempt int, base, maxDelay, retryAfter time.Duration, u float64) time.Duration {
	d := float64(base) * math.Pow(2, float64(min(attempt, 62)))
	if d > float64(maxDelay) || math.IsInf(d, 0) {
		d = float64(maxDelay)
	}
	d *= 0.5 + 0.5*u
	if out := time.Duration(d); out > retryAfter {
		return out
	}
	return retryAfter
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e6 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// tokenBucket limits requests to rate per second with bursts of up to burst.
// A rate of 0 or less disables the limit.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	b := float64(max(burst, 1))
	return &tokenBucket{rate: rate, burst: b, tokens: b}
}

// reserve takes one token at time now and returns how long the caller must
// wait before using it (0 when a token was available). Tokens refill at rate
// per second up to burst; the balance may go negative, queueing callers.
func (b *tokenBucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.last = now
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// wait blocks until the caller may send one request.
func (b *tokenBucket) wait(ctx context.Context) error {
	if b == nil || b.rate <= 0 {
		return ctx.Err()
	}
	return sleepCtx(ctx, b.reserve(time.Now()))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
