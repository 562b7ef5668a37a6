package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/policy/tokenizer"
)

func init() { register(newTokenizeCmd) }

type tokenizeFlags struct {
	path         string
	decode       bool
	addSpecial   bool
	skipSpecial  bool
	splitSpecial bool
	showTokens   bool
	cleanUp      string
}

func newTokenizeCmd(*cli.Globals) *cobra.Command {
	var f tokenizeFlags
	cmd := &cobra.Command{
		Use:   "tokenize",
		Short: "encode or decode text with a tokenizer.json",
		Long: `Reads JSON lines on stdin. Encoding: {"text": "..."} → {"ids": [...]}.
With --decode: {"ids": [...]} → {"text": "..."}. A line may override the
flags with "add_special_tokens" / "skip_special_tokens" (booleans).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.path == "" {
				return cli.Usagef("tokenize: --tokenizer is required")
			}
			if f.cleanUp != "true" && f.cleanUp != "false" && f.cleanUp != "config" {
				return cli.Usagef("tokenize: --clean-up-spaces must be true, false or config")
			}
			return runTokenize(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), f)
		},
	}
	cmd.Flags().StringVar(&f.path, "tokenizer", "", "tokenizer.json, tokenizer.json.gz or a model directory holding one")
	cmd.Flags().BoolVar(&f.decode, "decode", false, "decode ids to text instead of encoding")
	cmd.Flags().BoolVar(&f.addSpecial, "add-special", false, "apply the post-processor (e.g. Llama-3's <|begin_of_text|>)")
	cmd.Flags().BoolVar(&f.skipSpecial, "skip-special", false, "with --decode: drop special tokens")
	cmd.Flags().BoolVar(&f.splitSpecial, "split-special", false, "treat special tokens written in the text as plain text")
	cmd.Flags().BoolVar(&f.showTokens, "tokens", false, `also print the token strings ("tokens": [...])`)
	cmd.Flags().StringVar(&f.cleanUp, "clean-up-spaces", "false", `with --decode: apply transformers' clean_up_tokenization: true | false | config (tokenizer_config.json's setting)`)
	return cmd
}

func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, cli.UsageError{Err: fmt.Errorf("tokenizer: %w", err)}
	}
	if st.IsDir() {
		return tokenizer.LoadDir(path)
	}
	return tokenizer.Load(path)
}

// tokenizeLine is one input line; the pointers tell absent from false.
type tokenizeLine struct {
	Text        *string `json:"text"`
	IDs         []int   `json:"ids"`
	AddSpecial  *bool   `json:"add_special_tokens"`
	SkipSpecial *bool   `json:"skip_special_tokens"`
}

func runTokenize(ctx context.Context, in io.Reader, out io.Writer, f tokenizeFlags) error {
	tok, err := loadTokenizer(f.path)
	if err != nil {
		return err
	}
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && !isBlank(line) {
			if werr := tokenizeOne(tok, enc, line, f); werr != nil {
				return fmt.Errorf("tokenize: line %d: %w", lineNo, werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tokenize: read: %w", err)
		}
	}
}

func tokenizeOne(tok *tokenizer.Tokenizer, enc *json.Encoder, line []byte, f tokenizeFlags) error {
	var in tokenizeLine
	if err := json.Unmarshal(line, &in); err != nil {
		return err
	}
	if f.decode {
		if in.IDs == nil {
			return fmt.Errorf(`want {"ids": [...]}`)
		}
		skip := f.skipSpecial
		if in.SkipSpecial != nil {
			skip = *in.SkipSpecial
		}
		text := tok.Decode(in.IDs, skip)
		if f.cleanUp == "true" || (f.cleanUp == "config" && tok.CleanUpSpaces()) {
			text = tokenizer.CleanUpTokenizationSpaces(text)
		}
		return enc.Encode(map[string]string{"text": text})
	}
	if in.Text == nil {
		return fmt.Errorf(`want {"text": "..."}`)
	}
	add := f.addSpecial
	if in.AddSpecial != nil {
		add = *in.AddSpecial
	}
	var ids []int
	if f.splitSpecial {
		if add {
			return fmt.Errorf("--split-special cannot be combined with add_special_tokens")
		}
		ids = tok.EncodeOrdinary(*in.Text)
	} else {
		ids = tok.Encode(*in.Text, add)
	}
	if !f.showTokens {
		return enc.Encode(map[string][]int{"ids": ids})
	}
	toks := make([]string, len(ids))
	for i, id := range ids {
		toks[i], _ = tok.Token(id)
	}
	return enc.Encode(struct {
		IDs    []int    `json:"ids"`
		Tokens []string `json:"tokens"`
	}{ids, toks})
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
