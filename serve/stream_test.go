package serve

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A stream with a seed sends, per choice, exactly the text, finish reason
// and usage of the whole answer to the same request.
func TestStreamMatchesWholeAnswer(t *testing.T) {
	base, log := testServer(t, nil)
	for _, tc := range []struct {
		name, path, body string
		chat             bool
	}{
		{"chat", "/chat/completions", `"messages":[{"role":"user","content":"Write add(a, b)."}],"n":2,"temperature":0.9,"max_tokens":12,"seed":11`, true},
		{"completions", "/completions", `"prompt":["def add(a, b):","x = "],"n":2,"temperature":0.9,"max_tokens":12,"seed":12`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, whole := post(t, base+tc.path, "{"+tc.body+"}")
			status, evs, done, ctype := events(t, base+tc.path, "{"+tc.body+`,"stream":true,"stream_options":{"include_usage":true}}`)
			if status != 200 || !done || !strings.HasPrefix(ctype, "text/event-stream") {
				t.Fatalf("status %d, [DONE] %v, content type %q", status, done, ctype)
			}
			text, finish, usage := streamed(t, evs, tc.chat)
			for _, c := range whole["choices"].([]any) {
				c := c.(map[string]any)
				i := int(c["index"].(float64))
				want := ""
				if tc.chat {
					want = c["message"].(map[string]any)["content"].(string)
				} else {
					want = c["text"].(string)
				}
				if text[i] != want || finish[i] != c["finish_reason"] {
					t.Errorf("choice %d: streamed %q (%s), whole %q (%s)", i, text[i], finish[i], want, c["finish_reason"])
				}
			}
			if len(text) != len(whole["choices"].([]any)) {
				t.Errorf("%d streamed choices, %d whole", len(text), len(whole["choices"].([]any)))
			}
			if jsonText(t, usage) != jsonText(t, whole["usage"]) {
				t.Errorf("stream usage %v, whole %v", usage, whole["usage"])
			}
			object := "text_completion"
			if tc.chat {
				object = "chat.completion.chunk"
			}
			if evs[0]["object"] != object || len(evs) < 6 {
				t.Errorf("%d events, first %v: want a chunk per token of object %s", len(evs), evs[0], object)
			}
		})
	}
	if !strings.Contains(log.String(), "stream=true") {
		t.Errorf("log lacks the streamed requests:\n%s", log.String())
	}
}

// A stop string ends the stream cleanly: no chunk holds any byte of it,
// the choice finishes with "stop", and the text is the whole answer's.
func TestStreamStopStringNeverLeaks(t *testing.T) {
	base, _ := testServer(t, func(o *Options) { o.MaxTokens = 24 })
	req := `"prompt":"def add(a, b):","temperature":0,"max_tokens":24`
	_, free := post(t, base+"/completions", "{"+req+"}")
	full := free["choices"].([]any)[0].(map[string]any)["text"].(string)
	if len(full) < 8 {
		t.Skipf("the greedy text %q is too short to cut", full)
	}
	stop := full[len(full)/2 : len(full)/2+3]
	want := full[:strings.Index(full, stop)]
	body := fmt.Sprintf(`{%s,"stop":[%q],"stream":true}`, req, stop)
	_, evs, done, _ := events(t, base+"/completions", body)
	text, finish, _ := streamed(t, evs, false)
	if !done || text[0] != want || finish[0] != "stop" {
		t.Errorf("stop %q: streamed %q (%s), want %q (stop)", stop, text[0], finish[0], want)
	}
	sent := ""
	for _, ev := range evs {
		sent += ev["choices"].([]any)[0].(map[string]any)["text"].(string)
		if !strings.HasPrefix(want, sent) {
			t.Fatalf("the stream sent %q, past the text before the stop string %q", sent, want)
		}
	}
}

// While a request holds the only slot (here: its body is still being
// sent), another request gets 429 in OpenAI's shape.
func TestBusyServerAnswers429(t *testing.T) {
	base, _ := testServer(t, func(o *Options) { o.Concurrency = 1 })
	body, w := io.Pipe()
	first := make(chan error, 1)
	go func() {
		resp, err := http.Post(base+"/completions", "application/json", body)
		if err == nil {
			resp.Body.Close()
		}
		first <- err
	}()
	w.Write([]byte(`{"prompt":"a",`))
	var status int
	var answer map[string]any
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		// Until the first request's handler runs, this one may get the slot.
		if status, answer = post(t, base+"/completions", `{"prompt":"b","max_tokens":1}`); status == http.StatusTooManyRequests {
			break
		}
	}
	if e, _ := answer["error"].(map[string]any); status != http.StatusTooManyRequests || e["code"] != "rate_limit_exceeded" || e["type"] != "rate_limit_error" {
		t.Errorf("while the slot is held: %d %v", status, answer)
	}
	w.Write([]byte(`"max_tokens":1}`))
	w.Close()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

func TestCertain(t *testing.T) {
	cases := []struct {
		name, text string
		stops      []string
		want       string
	}{
		{"no stops", "abc", nil, "abc"},
		{"hold back a possible stop", "abc", []string{"cde"}, "a"},
		{"cut at a stop", "ab\nc", []string{"\n"}, "ab"},
		{"earliest stop", "a;b.c", []string{".", ";"}, "a"},
		{"incomplete utf-8", "ab\xc3", nil, "ab"},
		{"replacement char at the end", "ab\uFFFD", nil, "ab"},
		{"hold back splits a rune", "aé", []string{"xy"}, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := certain(tc.text, tc.stops); got != tc.want {
				t.Errorf("certain(%q, %q) = %q, want %q", tc.text, tc.stops, got, tc.want)
			}
		})
	}
}
