// Package rewards turns programs into rewards: the Scorer interface, the
// sandboxed parallel Python test runner behind the rule rewards (pass rate or
// all-pass), and reward-model scoring.
package rewards
