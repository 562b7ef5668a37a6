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
// # Departures from the paper
//
// The prompts are written in this project's own words from the facts the
// paper states (system message, the no-instruction variant, the JSON reply
// shape, the sampling prompt with the first two tests and the prefilled
// assistant preamble); they live in prompts/*.tmpl. The pairs and hard stages
// need every row at once, so they are not incremental: they rewrite their
// output atomically, which makes a rerun produce the same file.
package data
