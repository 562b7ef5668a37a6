// Package serve is the OpenAI-compatible HTTP server of `acecoder serve`
// over a local model: POST /v1/chat/completions and /v1/completions, each
// answered whole or streamed as Server-Sent Events, and GET /v1/models.
//
// What it implements of the OpenAI API, and how it departs from it:
//   - n, temperature, top_p, top_k (vLLM's extension), max_tokens /
//     max_completion_tokens (clamped to the server's limit), seed, stop
//     (up to 4 strings; the text ends before the stop string, and a stream
//     never sends a byte of it), user.
//   - stream with stream_options.include_usage: a chunk per sampled token
//     and choice (text that may still turn into a stop string, or an
//     incomplete UTF-8 sequence, is held back until it is known), a last
//     chunk per choice with its finish_reason, then the usage chunk when
//     asked for, then "data: [DONE]".
//   - logprobs / top_logprobs (chat) and logprobs: k (completions): the
//     policy's log-probabilities at temperature 1 over the full vocabulary,
//     as vLLM reports them by default — the sampled token's from the
//     sampler (rollout.Sample.RawLogProbs), the alternatives from one extra
//     forward pass over prompt and completion. In a stream a choice's
//     log-probs arrive with its last chunk: the engine reports them when the
//     sample finishes.
//   - continue_final_message with add_generation_prompt: false continues
//     the last message of the conversation (vLLM's and transformers'
//     extension), e.g. a prefilled assistant turn.
//   - Errors have OpenAI's shape {"error": {"message", "type", "param",
//     "code"}} with a string code: 400 for a bad value and for every field
//     this server does not implement (tools, response_format other than
//     text, penalties other than 0, logit_bias, echo, suffix, best_of > n),
//     rather than ignoring it; 404 for a model name other than the served
//     one; 413 for a body over the limit; 429 when too many requests wait.
//   - One log line per request: client, method, path, status, duration,
//     prompt and completion tokens, whether it streamed.
//
// Sample j of prompt i draws from seed rollout.SampleSeed(seed, 0, i, j),
// so a request with a seed gets the same tokens streamed or not.
package serve
