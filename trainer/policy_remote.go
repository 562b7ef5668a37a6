package trainer

// Remote rewards, as OpenRLHF's --remote_rm_url sends them: the rollout's
// samples go to reward servers over HTTP as {"query": [...]}, each query
// the prompt as the policy's chat template rendered it (special tokens
// kept) followed by the completion, and the servers answer
// {"rewards": [...]}. Departures: OpenRLHF posts the whole batch to every
// URL and (in the AceCoder fork) sums their rewards; here comma-separated
// URLs share the batch, each getting an equal contiguous part, as later
// OpenRLHF versions do. The fork retries a failed request 5 times, 1 s
// apart; here the wait doubles from 1 s (at most 30 s) and only failures
// that can pass (timeouts, transport errors, 429 and 5xx) are retried.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"acecoder/policy"
)

// RemoteRewarder gets rewards from reward servers (acecoder serve-reward,
// or the AceCoder fork's serve_rm.py).
type RemoteRewarder struct {
	URLs []string
	// Text renders queries: a prompt's ids are decoded with their special
	// tokens, as OpenRLHF's batch_decode(skip_special_tokens=False) does.
	Text policy.Text
	// Labels also sends OpenRLHF's prompts (the rendered prompt) and labels
	// (the prompt's tests).
	Labels  bool
	Timeout time.Duration // per request; default 180 s
	Retries int           // retries after the first attempt
	Backoff time.Duration // first retry delay, doubled each retry up to 30 s; default 1 s
	Client  *http.Client  // default: a client without its own timeout
}

// Streaming is false: the servers score the whole rollout at once.
func (*RemoteRewarder) Streaming() bool { return false }

type remoteRequest struct {
	Query   []string   `json:"query"`
	Prompts []string   `json:"prompts,omitempty"`
	Labels  [][]string `json:"labels,omitempty"`
}

type remoteResponse struct {
	Rewards   []float64            `json:"rewards"`
	ExtraLogs map[string][]float64 `json:"extra_logs"`
}

// Reward posts the items, split evenly over the URLs, and collects the
// rewards in order. Pass rates come from the servers' extra_logs when they
// send them (acecoder serve-reward does), else they are −1 (unknown).
func (r *RemoteRewarder) Reward(ctx context.Context, items []RewardItem) ([]SampleReward, error) {
	if len(r.URLs) == 0 {
		return nil, errors.New("trainer: remote rewards: no URL")
	}
	out := make([]SampleReward, len(items))
	per := (len(items) + len(r.URLs) - 1) / len(r.URLs)
	g, gctx := errgroup.WithContext(ctx)
	for k, u := range r.URLs {
		lo, hi := k*per, min((k+1)*per, len(items))
		if lo >= hi {
			break
		}
		g.Go(func() error {
			rs, err := r.score(gctx, u, items[lo:hi])
			copy(out[lo:hi], rs)
			return err
		})
	}
	return out, g.Wait()
}

// score posts one part of the batch to url.
func (r *RemoteRewarder) score(ctx context.Context, url string, items []RewardItem) ([]SampleReward, error) {
	req := remoteRequest{Query: make([]string, len(items))}
	for i, it := range items {
		prompt := r.Text.Tok.Decode(int32sToInts(it.Prompt.IDs), false)
		req.Query[i] = prompt + it.Completion
		if r.Labels {
			tests := it.Prompt.Tests
			if tests == nil {
				tests = []string{}
			}
			req.Prompts, req.Labels = append(req.Prompts, prompt), append(req.Labels, tests)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("trainer: remote reward %s: %w", url, err)
	}
	resp, err := r.post(ctx, url, body)
	if err != nil {
		return nil, err
	}
	if len(resp.Rewards) != len(items) {
		return nil, fmt.Errorf("trainer: remote reward %s: %d rewards for %d queries", url, len(resp.Rewards), len(items))
	}
	out := make([]SampleReward, len(items))
	pass, all := resp.ExtraLogs["pass_rate"], resp.ExtraLogs["all_passed"]
	for i, v := range resp.Rewards {
		out[i] = SampleReward{Reward: v, PassRate: -1}
		if len(pass) == len(items) {
			out[i].PassRate = pass[i]
		}
		if len(all) == len(items) {
			out[i].AllPassed = all[i] == 1
		}
	}
	return out, nil
}

// post sends body to url, retrying what can pass with doubling waits.
func (r *RemoteRewarder) post(ctx context.Context, url string, body []byte) (remoteResponse, error) {
	delay := r.Backoff
	if delay <= 0 {
		delay = time.Second
	}
	var last error
	tries := 0
	for ; tries <= r.Retries; tries++ {
		if tries > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return remoteResponse{}, ctx.Err()
			}
			delay = min(2*delay, 30*time.Second)
		}
		resp, retry, err := r.attempt(ctx, url, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return remoteResponse{}, ctx.Err()
		}
		last = err
		if !retry {
			tries++
			break
		}
	}
	n := fmt.Sprintf("%d attempts", tries)
	if tries == 1 {
		n = "1 attempt"
	}
	return remoteResponse{}, fmt.Errorf("trainer: remote reward %s: %s: %w", url, n, last)
}

// attempt is one request; retry reports whether another may succeed.
func (r *RemoteRewarder) attempt(ctx context.Context, url string, body []byte) (resp remoteResponse, retry bool, err error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 180 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return resp, false, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	hresp, err := client.Do(hreq)
	if err != nil {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return resp, true, fmt.Errorf("no answer within %s", timeout)
		}
		return resp, true, err
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, 64<<20))
	if err != nil {
		return resp, true, err
	}
	if hresp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		code := hresp.StatusCode
		return resp, code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500,
			fmt.Errorf("http %d: %s", code, msg)
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return resp, false, fmt.Errorf("bad response: %w", err)
	}
	return resp, false, nil
}

func int32sToInts(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}
