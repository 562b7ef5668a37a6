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
