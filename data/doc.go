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
// the oracle passed are executed. This package divides by the number of tests
// actually run (the filtered count) by default; SampleConfig.Denominator
// (flag --denominator=original) selects AceCoder's convention, using the
// original_test_count recorded by the filter stage.
//
// # Command line
//
//	acecoder data synth  --in seeds.jsonl --out questions.jsonl --endpoint URL/v1 --model M
//	acecoder data filter --in questions.jsonl --out filtered.jsonl [--oracle endpoint --endpoint ... --model ...]
//	acecoder data sample --in filtered.jsonl --out sampled.jsonl --endpoint URL/v1 --model M --n 16
//	acecoder data pairs  --in sampled.jsonl --out pairs.jsonl --factory-out pairs_lf.jsonl
//	acecoder data hard   --in sampled.jsonl --out hard.jsonl
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
// # Departures from the paper
//
// The prompts are written in this project's own words from the facts the
// paper states (system message, the no-instruction variant, the JSON reply
// shape, the sampling prompt with the first two tests and the prefilled
// assistant preamble); they live in prompts/*.tmpl. The pairs and hard stages
// need every row at once, so they are not incremental: they rewrite their
// output atomically, which makes a rerun produce the same file.
package data
