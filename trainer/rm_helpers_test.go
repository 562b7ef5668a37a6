package trainer

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/configs"
	"acecoder/rundir"
)

// propertyPairs generates pairs whose chosen program uses operators from
// one set and whose rejected twin uses the matching operators of another at
// the same places: + * & < % ^ against - / | > ~ !. Each pair uses one
// matched couple (k), drawn at random, so an untrained model, whose liking
// for one operator over its twin has a random sign per couple, ranks about
// half of the pairs right. Names and structure vary.
func propertyPairs(n int, seed uint64) []Pair {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := []string{"a", "b", "c", "d", "e", "k", "m", "n", "x", "y"}
	good, bad := []string{"+", "*", "&", "<", "%", "^"}, []string{"-", "/", "|", ">", "~", "!"}
	out := make([]Pair, n)
	for i := range out {
		a, b, c := names[rng.IntN(len(names))], names[rng.IntN(len(names))], names[rng.IntN(len(names))]
		k := rng.IntN(len(good))
		var ch, rj strings.Builder
		head := fmt.Sprintf("def f(%s,%s):\n", a, b)
		ch.WriteString(head)
		rj.WriteString(head)
		for l := range 2 + rng.IntN(2) {
			body := fmt.Sprintf(" %s=%s%%s%s\n", c, []string{a, b, c}[l%3], []string{b, a, c}[(l+1)%3])
			ch.WriteString(fmt.Sprintf(body, good[k]))
			rj.WriteString(fmt.Sprintf(body, bad[k]))
		}
		tail := fmt.Sprintf(" return %s\n", c)
		ch.WriteString(tail)
		rj.WriteString(tail)
		out[i] = Pair{ID: fmt.Sprint(i), Prompt: fmt.Sprintf("Fold %s and %s.", a, b), Chosen: ch.String(), Rejected: rj.String()}
	}
	return out
}

// writePairs writes pairs as this project's pair JSONL.
func writePairs(t testing.TB, path string, pairs []Pair) {
	t.Helper()
	var sb strings.Builder
	for _, p := range pairs {
		line, _ := json.Marshal(map[string]any{"id": p.ID, "question": p.Prompt, "chosen": p.Chosen, "rejected": p.Rejected,
			"chosen_pass_rate": 1.0, "rejected_pass_rate": 0.0})
		sb.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyRMConfig is a train-rm config for testdata/rm/tiny-config.json on
// pairs written to dir.
func tinyRMConfig(t testing.TB, dir string, pairs []Pair) configs.RM {
	t.Helper()
	data := filepath.Join(dir, "pairs.jsonl")
	writePairs(t, data, pairs)
	cfg := configs.DefaultRM()
	cfg.Model = configs.Model{InitConfig: filepath.Join("..", "testdata", "rm", "tiny-config.json"), ChatTemplate: "plain"}
	cfg.Optim.LearningRate = 2e-3
	cfg.Optim.WarmupRatio = 0.1
	cfg.Optim.MinLRRatio = 0.1
	cfg.TrainData = []string{data}
	cfg.EvalFraction = 0.2
	cfg.MaxLength = 160
	cfg.TrainBatchSize, cfg.MicroBatchSize = 16, 8
	cfg.MaxEpochs = 1
	cfg.EvalSteps, cfg.SaveSteps, cfg.KeepLast = 0, 0, 2
	cfg.Seed = 7
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newRun creates a run directory at dir.
func newRun(t testing.TB, dir string) *rundir.Run {
	t.Helper()
	r, err := rundir.Create(rundir.Options{Dir: dir, Name: "rm-test", Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestPropertyPairsFixture keeps testdata/rm/property-pairs.jsonl equal to
// the generator's output (rewrite it with -update-fixtures).
func TestPropertyPairsFixture(t *testing.T) {
	path := filepath.Join("..", "testdata", "rm", "property-pairs.jsonl")
	if *updateFixtures {
		writePairs(t, path, propertyPairs(240, 11))
	}
	got, err := ReadPairs(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := propertyPairs(240, 11)
	for i := range want {
		want[i].ChosenPassRate = 1
	}
	if len(got) != len(want) || got[17] != want[17] || got[239] != want[239] {
		t.Errorf("fixture differs from the generator; rerun with -update-fixtures")
	}
}
