package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ClientConfig configures the OpenAI-compatible chat client.
type ClientConfig struct {
	Endpoint          string        // base URL; the client POSTs to {Endpoint}/chat/completions
	Model             string        // model name sent with each request
	APIKey            string        // sent as a Bearer token when not empty
	Concurrency       int           // requests in flight at once (default 8)
	MaxRetries        int           // retries after the first attempt (0: default 5; negative: none)
	BaseBackoff       time.Duration // first retry delay before jitter (default 1s)
	MaxBackoff        time.Duration // cap on the retry delay (default 60s)
	RequestsPerSecond float64       // token-bucket rate; 0 disables the limit
	Burst             int           // token-bucket size (default 1)
	Timeout           time.Duration // per-attempt timeout (default 120s)
	MaxReplyBytes     int64         // cap on a response body (default 16 MiB)
	Seed              uint64        // seeds the retry jitter
	HTTPClient        *http.Client  // default: a client without its own timeout
}

func (c *ClientConfig) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.MaxReplyBytes <= 0 {
		c.MaxReplyBytes = 16 << 20
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
}

// ChatRequest is one chat completion request.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	TopP        float64   `json:"top_p,omitempty"`
	N           int       `json:"n,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Seed        *int64    `json:"seed,omitempty"`
	// ContinueFinalMessage and AddGenerationPrompt are vLLM's (and acecoder
	// serve's) extension for continuing the last, assistant message instead
	// of opening a new turn after it; other endpoints may reject them.
	ContinueFinalMessage bool  `json:"continue_final_message,omitempty"`
	AddGenerationPrompt  *bool `json:"add_generation_prompt,omitempty"`
}

// continueLast marks req to continue its final (assistant) message, as
// transformers' apply_chat_template(continue_final_message=True,
// add_generation_prompt=False) renders it.
func (req ChatRequest) continueLast() ChatRequest {
	no := false
	req.ContinueFinalMessage, req.AddGenerationPrompt = true, &no
	return req
}

// ChatChoice is one returned completion.
type ChatChoice struct {
	Index        int     `json:"index"`
	Message      Message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

// ChatResponse is the subset of the response this package reads.
type ChatResponse struct {
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
}

// HTTPError is a non-2xx response.
type HTTPError struct {
	Status     int
	Body       string
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("http %d: %s", e.Status, strings.TrimSpace(e.Body))
}

// Client is an OpenAI-compatible chat client with bounded concurrency,
// a token-bucket rate limit, a per-attempt timeout and retries with
// exponential backoff plus jitter that honour Retry-After on 429 and 5xx.
type Client struct {
	cfg      ClientConfig
	sem      chan struct{}
	bucket   *tokenBucket
	failures *FailureLog
	rngMu    sync.Mutex
	rng      *rand.Rand
}

// NewClient checks cfg and builds a client. Failed attempts are recorded in
// failures (which may be nil).
func NewClient(cfg ClientConfig, failures *FailureLog) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("data: client: endpoint is empty")
	}
	cfg.defaults()
	return &Client{
		cfg:      cfg,
		sem:      make(chan struct{}, cfg.Concurrency),
		bucket:   newTokenBucket(cfg.RequestsPerSecond, cfg.Burst),
		failures: failures,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
	}, nil
}

// Model is the configured model name.
func (c *Client) Model() string { return c.cfg.Model }

// Chat sends req (its Model defaults to the configured one) and retries
// transient failures. id names the row in the failures log.
func (c *Client) Chat(ctx context.Context, id string, req ChatRequest) (*ChatResponse, error) {
	if req.Model == "" {
		req.Model = c.cfg.Model
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("data: encode request: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt <= c.cfg.MaxRetries; attempt++ {
		resp, err := c.attempt(ctx, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
		c.failures.Record(Failure{Stage: "llm", ID: id, Attempt: attempt + 1, Reason: err.Error()})
		if !retryable(err) || attempt == c.cfg.MaxRetries {
			break
		}
		var retryAfter time.Duration
		var he *HTTPError
		if errors.As(err, &he) {
			retryAfter = he.RetryAfter
		}
		if err := sleepCtx(ctx, backoffDelay(attempt, c.cfg.BaseBackoff, c.cfg.MaxBackoff, retryAfter, c.jitter())); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("data: chat %s: %w", id, lastErr)
}

func (c *Client) jitter() float64 {
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return c.rng.Float64()
}

// errTimeout marks an attempt that ran past the per-attempt timeout.
var errTimeout = errors.New("request timed out")

func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status == http.StatusTooManyRequests || he.Status >= 500
	}
	var de *decodeError
	return !errors.As(err, &de) // timeouts and transport errors are retried
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "bad response: " + e.err.Error() }

// attempt sends one request under the concurrency limit, rate limit and
// per-attempt timeout.
func (c *Client) attempt(ctx context.Context, body []byte) (*ChatResponse, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := c.bucket.wait(ctx); err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	url := strings.TrimRight(c.cfg.Endpoint, "/") + "/chat/completions"
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &decodeError{err}
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	hresp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, actx, err)
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, c.cfg.MaxReplyBytes))
	if err != nil {
		return nil, c.transportError(ctx, actx, err)
	}
	if hresp.StatusCode/100 != 2 {
		he := &HTTPError{Status: hresp.StatusCode, Body: truncate(string(raw), 500)}
		he.RetryAfter, _ = parseRetryAfter(hresp.Header.Get("Retry-After"), time.Now())
		return nil, he
	}
	var out ChatResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, &decodeError{err}
	}
	if len(out.Choices) == 0 {
		return nil, &decodeError{errors.New("no choices")}
	}
	return &out, nil
}

func (c *Client) transportError(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %v", errTimeout, c.cfg.Timeout)
	}
	return fmt.Errorf("transport: %w", err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
