// Package data builds the AceCoder training data: seed programs become
// LeetCode-style questions with about twenty synthesized asserts (synth), the
// asserts are filtered by an oracle program (filter), programs are sampled and
// executed per question (sample), pass rates become preference pairs (pairs),
// and a hard subset is chosen for RL (hard). Stats summarises any stage's
// output the way Table 1 of the paper does (arXiv 2502.01718).
//
// Every stage reads JSONL (and, for the public AceCode-87K / AceCodePair-300K
// releases, Parquet) and writes JSONL. The LLM and execution stages append to
// their output and skip ids already present, writing rows in input order, so
// a stage that is killed and run again ends with the same file as an
// uninterrupted run. A partial last line left by a crash is truncated on
// resume, never trusted. Malformed input lines are reported with file and line
// number, counted in the stage summary, and do not stop the rest.
//
// # Pass-rate denominator
//
// AceCoder divides the number of passed tests by the number of tests the LLM
// originally synthesized (the unfiltered count), even though only the tests
// the oracle passed are executed. The command line does the same
// (--denominator original, using the original_test_count the filter stage
// records); --denominator filtered (and SampleConfig's zero value) divides
// by the tests actually run.
//
// # Command line
//
//	acecoder data synth  --in seeds.jsonl --out questions.jsonl --endpoint URL/v1 --model M
//	acecoder data filter --in questions.jsonl --out filtered.jsonl --endpoint URL/v1 --model M   (or --oracle program)
//	acecoder data sample --in filtered.jsonl --out sampled.jsonl --endpoint URL/v1 --model M --n 16
//	acecoder data pairs  --in sampled.jsonl --out pairs.jsonl --factory-out pairs_lf.jsonl
//	acecoder data hard   --in sampled.jsonl --out hard.jsonl [--models qwen_coder_2.5,llama3_instruct] [--r1-system-prompt]
//	acecoder data stats  sampled.jsonl pairs.jsonl AceCode-87K.parquet
//
// The API key is read from the environment variable named by --api-key-env
// (OPENAI_API_KEY). Programs run in the sandboxed rewards.Runner unless
// --unsandboxed is given.
//
// # Rules
//
// Pairs (per question and model): chosen ≥ 0.8, chosen − rejected ≥ 0.4,
// rejected > 0, higher pass rate chosen, identical and repeated text pairs
// dropped (SelectPairs). Hard subset: mean pass rate ≤ the median of the
// means, then population std of the pass rates ≥ the median std of what
// remains (HardSubset).
//
// # Prompts
//
// prompts/*.tmpl hold the published prompts: the synthesis prompt of the
// paper's Table 7 (synth_acecoder*.tmpl, word for word; this project's
// rewording stays as --synth-prompt project) and the sampling prompt (the
// question and its first two tests between triple quotes, then the
// assistant preamble ending at ```python). The sampling and oracle
// requests ask the endpoint to continue the preamble in the same assistant
// turn (continue_final_message, add_generation_prompt false), as AceCoder's
// vLLM inference renders it; --new-turn closes the turn instead for
// endpoints without that extension. Sampled rows keep the question alone as
// context_messages, as AceCode-87K does.
//
// # Departures from the published code
//
// AceCoder's inference script drops the last token of the rendered prompt
// (meant for an EOS that continue_final_message never writes), so its
// models continued from a cut preamble and its post-processing strips the
// "python" they wrote again; here the preamble is sent whole and the
// program is found by package extract. Pair gaps are compared with a 1e-9
// tolerance, so 0.95 − 0.55 meets the 0.4 gap that float rounding makes
// upstream miss. The pairs and hard stages need every row at once, so
// they are not incremental: they rewrite their output atomically, which
// makes a rerun produce the same file.
package data
