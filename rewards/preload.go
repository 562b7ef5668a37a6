package rewards

// DefaultPreload lists the standard-library modules each zygote imports
// before it forks any child, so that a program importing them finds them
// loaded instead of paying for the import (typing alone costs 10-20 ms, more
// than running a typical program and its tests). Each child is a
// copy-on-write copy of the zygote, so a program that changes one of these
// modules changes its own copy only (TestPreloadedModulesArePristine).
//
// The list is every module imported by at least two of HumanEval's 164
// prompts and solutions or of MBPP's 974 reference solutions (counted by
// TestPreloadCoversCorpora: MBPP re 78, math 42, collections 27, heapq 18,
// itertools 12, cmath 4, operator 3, array 3, bisect 2; HumanEval typing 21,
// math 6, random 4, copy 2, string 2), plus functools, which AceCode-style
// LeetCode solutions use for lru_cache and reduce. Each module adds to the
// zygote's memory and so to the cost of every fork; rarer ones are left to
// the programs that need them.
var DefaultPreload = []string{
	"typing", "math", "itertools", "collections", "re", "heapq", "functools", "bisect",
	"string", "operator", "copy", "random", "cmath", "array",
}
