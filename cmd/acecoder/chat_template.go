package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/policy/chat"
)

func init() { register(newChatTemplateCmd) }

type chatTemplateFlags struct {
	config, casePath, template, name string
	chatML                           bool
}

func newChatTemplateCmd(*cli.Globals) *cobra.Command {
	var f chatTemplateFlags
	cmd := &cobra.Command{
		Use:   "chat-template",
		Short: "render a chat template for a conversation",
		Long: `Renders tokenizer_config.json's chat_template for a case file holding
"messages", optional "tools" and "add_generation_prompt" (as in
chat_cases.json); any other key is passed to the template as a variable.
Prints the rendered text exactly, without an added newline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runChatTemplate(cmd.InOrStdin(), cmd.OutOrStdout(), f)
		},
	}
	cmd.Flags().StringVar(&f.config, "tokenizer-config", "", "tokenizer_config.json (chat_template and special tokens)")
	cmd.Flags().StringVar(&f.casePath, "case", "", `case file (JSON object; "-" for stdin)`)
	cmd.Flags().StringVar(&f.template, "chat-template", "", "a .jinja file to use instead of the config's chat_template")
	cmd.Flags().StringVar(&f.name, "name", "", "named template of a list-form chat_template (default: tool_use with tools, else default)")
	cmd.Flags().BoolVar(&f.chatML, "chatml", false, "use the plain ChatML fallback template")
	cli.Alias(cmd, "template", "chat-template")
	return cmd
}

func runChatTemplate(stdin io.Reader, out io.Writer, f chatTemplateFlags) error {
	if f.casePath == "" {
		return cli.Usagef("chat-template: --case is required")
	}
	if f.config == "" && f.template == "" && !f.chatML {
		return cli.Usagef("chat-template: give --tokenizer-config, --chat-template or --chatml")
	}
	tmpl, err := chatTemplateFor(f)
	if err != nil {
		return err
	}
	var data []byte
	if f.casePath == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(f.casePath)
	}
	if err != nil {
		return cli.UsageError{Err: fmt.Errorf("chat-template: case: %w", err)}
	}
	c, err := chat.CaseFromJSON(data)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	c.Options.Name = f.name
	text, err := tmpl.RenderCase(c)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, text)
	return err
}

// chatTemplateFor picks the template: --chatml, --template, or the
// config's own; special tokens always come from the config when given.
func chatTemplateFor(f chatTemplateFlags) (*chat.Template, error) {
	var cfg []byte
	if f.config != "" {
		var err error
		if cfg, err = os.ReadFile(f.config); err != nil {
			return nil, cli.UsageError{Err: fmt.Errorf("chat-template: %w", err)}
		}
	}
	var tmpl *chat.Template
	var err error
	switch {
	case f.chatML:
		tmpl, err = chat.ChatML()
	case f.template != "":
		tmpl, err = chat.LoadFile(f.template)
	default:
		return chat.ParseConfig(cfg)
	}
	if err != nil || cfg == nil {
		return tmpl, err
	}
	vars, err := chat.ConfigVars(cfg)
	if err != nil {
		return nil, err
	}
	return tmpl.WithVars(vars), nil
}
