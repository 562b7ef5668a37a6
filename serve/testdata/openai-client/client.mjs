// Drives an OpenAI-compatible server with the official openai npm client
// and prints what it saw as one JSON object (read by serve/npm_test.go).
// Usage: node client.mjs BASE_URL MODEL
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 120000 });
const messages = [{ role: "user", content: "Write add(a, b)." }];
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => ({ id: m.id, created: m.created }));

const whole = await client.chat.completions.create({ model, messages, seed: 7, temperature: 0.9, max_tokens: 12, n: 2 });
out.whole = whole.choices.map((c) => ({ index: c.index, text: c.message.content, finish: c.finish_reason }));
out.wholeUsage = whole.usage;

const stream = await client.chat.completions.create({
  model, messages, seed: 7, temperature: 0.9, max_tokens: 12, n: 2,
  stream: true, stream_options: { include_usage: true },
});
const streamed = {};
out.chunks = 0;
for await (const chunk of stream) {
  out.chunks++;
  if (chunk.usage) out.streamUsage = chunk.usage;
  for (const c of chunk.choices) {
    const s = (streamed[c.index] ??= { index: c.index, text: "", finish: null });
    s.text += c.delta?.content ?? "";
    if (c.finish_reason) s.finish = c.finish_reason;
  }
}
out.streamed = Object.values(streamed);

// The SDK's helper that accumulates a stream into a final completion.
const runner = client.chat.completions.stream({ model, messages, seed: 7, temperature: 0.9, max_tokens: 12 });
const final = await runner.finalChatCompletion();
out.helper = final.choices[0].message.content;

const cstream = await client.completions.create({ model, prompt: "def add(a, b):", max_tokens: 8, temperature: 0, stream: true });
out.completionText = "";
for await (const chunk of cstream) out.completionText += chunk.choices[0]?.text ?? "";

const lp = await client.chat.completions.create({ model, messages, temperature: 0, max_tokens: 4, logprobs: true, top_logprobs: 2 });
out.logprobs = lp.choices[0].logprobs.content.map((t) => ({ token: t.token, logprob: t.logprob, top: t.top_logprobs.length }));

try {
  await client.chat.completions.create({ model: "no-such-model", messages });
  out.wrongModel = "accepted";
} catch (e) {
  out.wrongModel = { status: e.status, code: e.code, type: e.type, param: e.param };
}
try {
  await client.chat.completions.create({ model, messages, response_format: { type: "json_object" } });
  out.jsonMode = "accepted";
} catch (e) {
  out.jsonMode = { status: e.status, code: e.code, param: e.param };
}
process.stdout.write(JSON.stringify(out));
