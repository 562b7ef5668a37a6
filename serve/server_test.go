package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
)

func TestAnswersChatAndCompletions(t *testing.T) {
	base, log := testServer(t, nil)
	body := `{"model":"tiny","messages":[{"role":"user","content":"Write add(a, b)."}],"n":3,"temperature":0.8,"max_tokens":8,"seed":5}`
	code, chat := post(t, base+"/chat/completions", body)
	if code != http.StatusOK || chat["object"] != "chat.completion" || len(chat["choices"].([]any)) != 3 {
		t.Fatalf("chat: status %d: %v", code, chat)
	}
	for i, c := range chat["choices"].([]any) {
		c := c.(map[string]any)
		msg := c["message"].(map[string]any)
		if int(c["index"].(float64)) != i || msg["role"] != "assistant" || (c["finish_reason"] != "stop" && c["finish_reason"] != "length") {
			t.Errorf("choice %d: %v", i, c)
		}
	}
	if u := chat["usage"].(map[string]any); u["completion_tokens"].(float64) < 3 || u["prompt_tokens"].(float64) < 5 ||
		u["total_tokens"].(float64) != u["prompt_tokens"].(float64)+u["completion_tokens"].(float64) {
		t.Errorf("usage %v", u)
	}
	_, again := post(t, base+"/chat/completions", strings.Replace(body, `"model":"tiny",`, "", 1))
	if a, b := jsonText(t, chat["choices"]), jsonText(t, again["choices"]); a != b {
		t.Errorf("the same seed gave different choices:\n%s\n%s", a, b)
	}

	code, cmpl := post(t, base+"/completions", `{"prompt":["def add(a, b):","x ="],"n":2,"max_tokens":6,"temperature":1}`)
	if code != http.StatusOK || cmpl["object"] != "text_completion" || len(cmpl["choices"].([]any)) != 4 {
		t.Fatalf("completions: status %d: %v", code, cmpl)
	}
	for i, c := range cmpl["choices"].([]any) {
		if got := int(c.(map[string]any)["index"].(float64)); got != i {
			t.Errorf("choice %d has index %d (want prompt·n + sample)", i, got)
		}
	}

	// max_tokens above the server's limit is clamped to it.
	code, long := post(t, base+"/completions", `{"prompt":"a","max_tokens":100000,"temperature":1,"seed":2}`)
	if n := long["usage"].(map[string]any)["completion_tokens"].(float64); code != http.StatusOK || n > 16 {
		t.Errorf("max_tokens 100000: status %d, %v tokens; want at most the limit 16", code, n)
	}

	resp, err := http.Get(base + "/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []map[string]any `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if len(models.Data) != 1 || models.Data[0]["id"] != "tiny" || models.Data[0]["created"].(float64) < 1.7e9 {
		t.Errorf("models: %v", models.Data)
	}
	for _, want := range []string{"POST /v1/chat/completions 200", "prompt_tokens=", "GET /v1/models 200", "stream=false"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("request log lacks %q:\n%s", want, log.String())
		}
	}
	if lines := strings.Count(log.String(), "\n"); lines != 5 {
		t.Errorf("%d log lines for 5 requests:\n%s", lines, log.String())
	}
}

// Every refusal has OpenAI's error shape with a string code; fields this
// server does not implement are refused, not ignored.
func TestErrorsHaveOpenAIShape(t *testing.T) {
	base, _ := testServer(t, func(o *Options) { o.MaxBody = 512 })
	msgs := `"messages":[{"role":"user","content":"a"}]`
	cases := []struct {
		name, path, body string
		status           int
		code, param      string
	}{
		{"malformed json", "/completions", `{"prompt":`, 400, "invalid_value", ""},
		{"body too large", "/completions", `{"prompt":"` + strings.Repeat("a", 600) + `"}`, 413, "request_too_large", ""},
		{"no messages", "/chat/completions", `{"messages":[]}`, 400, "invalid_value", "messages"},
		{"unknown model", "/chat/completions", `{"model":"gpt-9",` + msgs + `}`, 404, "model_not_found", "model"},
		{"unknown field", "/chat/completions", `{"frobnicate":1,` + msgs + `}`, 400, "unsupported_parameter", "frobnicate"},
		{"json mode", "/chat/completions", `{"response_format":{"type":"json_object"},` + msgs + `}`, 400, "unsupported_parameter", "response_format"},
		{"tools", "/chat/completions", `{"tools":[{"type":"function","function":{"name":"f"}}],` + msgs + `}`, 400, "unsupported_parameter", "tools"},
		{"penalty", "/completions", `{"prompt":"a","presence_penalty":0.5}`, 400, "unsupported_parameter", "presence_penalty"},
		{"echo", "/completions", `{"prompt":"a","echo":true}`, 400, "unsupported_parameter", "echo"},
		{"best_of", "/completions", `{"prompt":"a","best_of":3}`, 400, "unsupported_parameter", "best_of"},
		{"chat field on completions", "/completions", `{"prompt":"a","top_logprobs":2}`, 400, "unsupported_parameter", "top_logprobs"},
		{"max_tokens below 1", "/completions", `{"prompt":"a","max_tokens":0}`, 400, "invalid_value", "max_tokens"},
		{"temperature", "/completions", `{"prompt":"a","temperature":3}`, 400, "invalid_value", "temperature"},
		{"prompt type", "/completions", `{"prompt":5}`, 400, "invalid_value", "prompt"},
		{"too many stops", "/completions", `{"prompt":"a","stop":["a","b","c","d","e"]}`, 400, "invalid_value", "stop"},
		{"n too large", "/completions", `{"prompt":"a","n":1000}`, 400, "invalid_value", "n"},
		{"top_logprobs alone", "/chat/completions", `{"top_logprobs":2,` + msgs + `}`, 400, "invalid_value", "top_logprobs"},
		{"too many top_logprobs", "/chat/completions", `{"logprobs":true,"top_logprobs":50,` + msgs + `}`, 400, "invalid_value", "top_logprobs"},
		{"continue with generation prompt", "/chat/completions", `{"continue_final_message":true,"add_generation_prompt":true,` + msgs + `}`, 400, "invalid_value", "add_generation_prompt"},
		{"stream options without stream", "/chat/completions", `{"stream_options":{"include_usage":true},` + msgs + `}`, 400, "invalid_value", "stream_options"},
		{"wrong type", "/chat/completions", `{"n":"three",` + msgs + `}`, 400, "invalid_value", "n"},
		{"no route", "/embeddings", `{}`, 404, "not_found", ""},
		{"image part", "/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "invalid_value", "messages[0].content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, base+tc.path, tc.body)
			e, ok := body["error"].(map[string]any)
			if status != tc.status || !ok {
				t.Fatalf("status %d, body %v: want %d with an error object", status, body, tc.status)
			}
			if e["code"] != tc.code || e["type"] == nil || e["message"] == "" {
				t.Errorf("error %v: want code %q (a string), a type and a message", e, tc.code)
			}
			if (tc.param == "" && e["param"] != nil) || (tc.param != "" && e["param"] != tc.param) {
				t.Errorf("param %v, want %q", e["param"], tc.param)
			}
		})
	}
	// Text parts are joined into the message's content.
	_, parts := post(t, base+"/chat/completions", `{"messages":[{"role":"user","content":[{"type":"text","text":"Write "},{"type":"text","text":"add."}]}],"temperature":0,"max_tokens":3}`)
	_, plain := post(t, base+"/chat/completions", `{"messages":[{"role":"user","content":"Write add."}],"temperature":0,"max_tokens":3}`)
	if jsonText(t, parts["choices"]) != jsonText(t, plain["choices"]) || parts["usage"].(map[string]any)["prompt_tokens"] != plain["usage"].(map[string]any)["prompt_tokens"] {
		t.Errorf("text parts %v differ from the same text as a string %v", parts, plain)
	}
	// Neutral values of fields it does not implement are accepted.
	status, body := post(t, base+"/chat/completions", `{"presence_penalty":0,"response_format":{"type":"text"},"max_tokens":1,`+msgs+`}`)
	if status != http.StatusOK {
		t.Errorf("neutral values refused: %d %v", status, body)
	}
}

// With temperature 0 the sampled token is the argmax: its log-prob from
// the sampler equals the first alternative from the scoring pass.
func TestLogprobs(t *testing.T) {
	base, _ := testServer(t, nil)
	_, chat := post(t, base+"/chat/completions", `{"messages":[{"role":"user","content":"Write add."}],"temperature":0,"max_tokens":6,"logprobs":true,"top_logprobs":3}`)
	c := chat["choices"].([]any)[0].(map[string]any)
	content := c["logprobs"].(map[string]any)["content"].([]any)
	text := c["message"].(map[string]any)["content"].(string)
	if len(content) == 0 {
		t.Fatalf("no log-probs: %v", c)
	}
	// Tokens may split a UTF-8 sequence (the JSON string then holds
	// U+FFFD); their bytes join to the text (where the random model's bytes
	// are not UTF-8, the text has U+FFFD).
	var joined []byte
	for i, x := range content {
		x := x.(map[string]any)
		for _, b := range x["bytes"].([]any) {
			joined = append(joined, byte(b.(float64)))
		}
		top := x["top_logprobs"].([]any)
		if len(top) != 3 {
			t.Fatalf("token %d: %d alternatives, want 3", i, len(top))
		}
		first := top[0].(map[string]any)
		lp := x["logprob"].(float64)
		if first["token"] != x["token"] || math.Abs(first["logprob"].(float64)-lp) > 1e-3 || lp > 0 {
			t.Errorf("token %d: %q %.5f, but the best alternative is %q %.5f", i, x["token"], lp, first["token"], first["logprob"])
		}
		for j := 1; j < 3; j++ {
			if top[j].(map[string]any)["logprob"].(float64) > top[j-1].(map[string]any)["logprob"].(float64) {
				t.Errorf("token %d: alternatives out of order: %v", i, top)
			}
		}
	}
	if strings.ToValidUTF8(string(joined), "\uFFFD") != text {
		t.Errorf("token bytes join to %q, text is %q", joined, text)
	}
	_, cmpl := post(t, base+"/completions", `{"prompt":"def f(x):","temperature":0,"max_tokens":5,"logprobs":2}`)
	lp := cmpl["choices"].([]any)[0].(map[string]any)["logprobs"].(map[string]any)
	toks, lps, offs, tops := lp["tokens"].([]any), lp["token_logprobs"].([]any), lp["text_offset"].([]any), lp["top_logprobs"].([]any)
	if len(toks) == 0 || len(lps) != len(toks) || len(offs) != len(toks) || len(tops) != len(toks) {
		t.Fatalf("completions log-probs: %v", lp)
	}
	if offs[0].(float64) != 0 {
		t.Errorf("text_offset %v does not start at 0", offs)
	}
	for i := 1; i < len(offs); i++ {
		if offs[i].(float64) < offs[i-1].(float64) {
			t.Errorf("text_offset %v decreases", offs)
		}
	}
	if len(tops[0].(map[string]any)) == 0 {
		t.Errorf("no alternatives for logprobs: 2: %v", tops)
	}
}

// continue_final_message continues the last (assistant) message: the same
// text as a completion of the rendered conversation without a new turn.
func TestContinueFinalMessage(t *testing.T) {
	base, _ := testServer(t, nil)
	_, chat := post(t, base+"/chat/completions", `{"messages":[{"role":"user","content":"Write add."},{"role":"assistant","content":"def add("}],`+
		`"continue_final_message":true,"add_generation_prompt":false,"temperature":0,"max_tokens":8}`)
	prompt := "<|im_start|>user\nWrite add.<|im_end|>\n<|im_start|>assistant\ndef add("
	_, cmpl := post(t, base+"/completions", fmt.Sprintf(`{"prompt":%q,"temperature":0,"max_tokens":8}`, prompt))
	got := chat["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"]
	want := cmpl["choices"].([]any)[0].(map[string]any)["text"]
	if got != want {
		t.Errorf("continued message %q, completion of the rendered prefix %q", got, want)
	}
	if u, w := chat["usage"].(map[string]any)["prompt_tokens"], cmpl["usage"].(map[string]any)["prompt_tokens"]; u != w {
		t.Errorf("prompt tokens %v vs %v: the prompts differ", u, w)
	}
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
