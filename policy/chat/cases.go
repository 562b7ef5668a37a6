package chat

import (
	"fmt"
)

// Case is a rendering request in the layout of chat_cases.json, decoded
// with key order kept: Messages holds *OrderedMap objects.
type Case struct {
	Messages []any
	Options  Options
}

// CaseFromJSON reads a case object: "messages", optional "tools" and
// "add_generation_prompt"; every other key becomes a template variable
// (Options.Extra), as extra keyword arguments of apply_chat_template do.
func CaseFromJSON(data []byte) (Case, error) {
	v, err := DecodeJSON(data)
	if err != nil {
		return Case{}, err
	}
	obj, ok := v.(*OrderedMap)
	if !ok {
		return Case{}, fmt.Errorf("chat: case: want a JSON object")
	}
	var c Case
	for _, k := range obj.Keys {
		val := obj.Values[k]
		switch k {
		case "messages":
			list, ok := val.([]any)
			if !ok {
				return Case{}, fmt.Errorf("chat: case: messages must be a list")
			}
			for i, m := range list {
				if _, ok := m.(*OrderedMap); !ok {
					return Case{}, fmt.Errorf("chat: case: message %d is not an object", i)
				}
			}
			c.Messages = list
		case "tools":
			c.Options.Tools = val
		case "add_generation_prompt":
			b, ok := val.(bool)
			if !ok {
				return Case{}, fmt.Errorf("chat: case: add_generation_prompt must be a boolean")
			}
			c.Options.AddGenerationPrompt = b
		default:
			if c.Options.Extra == nil {
				c.Options.Extra = map[string]any{}
			}
			c.Options.Extra[k] = val
		}
	}
	if c.Messages == nil {
		return Case{}, fmt.Errorf("chat: case: missing messages")
	}
	return c, nil
}

// RenderCase renders a case decoded by CaseFromJSON.
func (t *Template) RenderCase(c Case) (string, error) {
	return t.render(c.Messages, c.Options)
}
