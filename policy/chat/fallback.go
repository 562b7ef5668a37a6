package chat

// ChatMLSource is the plain template for tiny models that ship none:
// ChatML turns (<|im_start|>role\ncontent<|im_end|>\n), as Qwen2 uses
// without its default system prompt and tool sections. Content that is
// None (an assistant turn with only tool calls) renders as empty.
const ChatMLSource = `{%- for message in messages -%}
<|im_start|>{{ message['role'] }}
{{ message['content'] if message['content'] is string else '' }}<|im_end|>
{% endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}`

// ChatML returns the compiled fallback template.
func ChatML() (*Template, error) { return Parse(ChatMLSource) }

// Llama3Source is the plain Llama-3 turn format for tiny Llama-style models:
// bos_token, then <|start_header_id|>role<|end_header_id|>\n\n content
// (trimmed) <|eot_id|> per turn, without Llama-3.1's system preamble and
// tool sections.
const Llama3Source = `{{- bos_token }}
{%- for message in messages %}
{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}
{{- message['content'] | trim if message['content'] is string else '' }}
{{- '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}`

// Llama3 returns the compiled plain Llama-3 template; bos_token comes from
// the tokenizer config (WithVars or ParseConfig).
func Llama3() (*Template, error) { return Parse(Llama3Source) }
