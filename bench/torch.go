package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Torch runs the PyTorch reference script (bench.py in ScriptDir) with
// Python; OpenBLAS, when set, is a directory holding an OpenBLAS build of
// libblas.so.3 put first on the library path (Debian's torch otherwise
// links the reference BLAS, 20–35× slower: see the script's README).
type Torch struct {
	Python    string
	ScriptDir string
	OpenBLAS  string
	Threads   int
}

// TorchResult is one JSON line of the script.
type TorchResult struct {
	What        string   `json:"what"`
	Cfg         string   `json:"cfg"`
	Batch       int      `json:"batch"`
	MedianS     float64  `json:"median_s"`
	TokensPerS  float64  `json:"tokens_per_s"`
	BLAS        []string `json:"blas"`
	Torch       string   `json:"torch"`
	OthersFrac  float64  `json:"others_frac"`
	CPUPerWall  float64  `json:"cpu_per_wall"`
	DecodeTokPS float64  `json:"decode_tokens_per_s"`
}

// FindTorch locates the reference: the script folder (scriptDir, else
// ../shared/bench/torch above the current directory or its parents) and a
// Python that imports torch (/usr/bin/python3 first). It returns an error
// saying what is missing.
func FindTorch(scriptDir, python string) (*Torch, error) {
	if scriptDir == "" {
		scriptDir = findUp(filepath.Join("shared", "bench", "torch"))
	}
	if scriptDir == "" {
		return nil, errors.New("PyTorch reference not found (../shared/bench/torch); pass --torch-dir")
	}
	if _, err := os.Stat(filepath.Join(scriptDir, "bench.py")); err != nil {
		return nil, fmt.Errorf("PyTorch reference: %w", err)
	}
	candidates := []string{python}
	if python == "" {
		candidates = []string{"/usr/bin/python3", "python3"}
	}
	for _, p := range candidates {
		if err := exec.Command(p, "-c", "import torch").Run(); err == nil {
			return &Torch{Python: p, ScriptDir: scriptDir, Threads: 2}, nil
		}
	}
	return nil, fmt.Errorf("no Python with torch among %v (Debian: apt-get install python3-torch)", candidates)
}

// findUp looks for rel in the current directory's parents (rel joined to
// each ancestor), returning the first that exists.
func findUp(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, rel)); err == nil && st.IsDir() {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Run measures one shape and returns the script's results by measure:
// "train_step", "score_fwd", "decode_step/1", "decode_step/16".
func (t *Torch) Run(ctx context.Context, shape string) (map[string]TorchResult, error) {
	cmd := exec.CommandContext(ctx, t.Python, filepath.Join(t.ScriptDir, "bench.py"),
		"--cfg", shape, "--what", "train,score,decode", "--threads", fmt.Sprint(t.Threads))
	cmd.Env = append(os.Environ(), fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", t.Threads), fmt.Sprintf("OMP_NUM_THREADS=%d", t.Threads))
	if t.OpenBLAS != "" {
		cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+t.OpenBLAS+prefixed(os.Getenv("LD_LIBRARY_PATH")))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bench.py --cfg %s: %w: %s", shape, err, lastLine(stderr.String()))
	}
	return parseTorch(out)
}

// parseTorch reads the script's JSON lines.
func parseTorch(out []byte) (map[string]TorchResult, error) {
	res := map[string]TorchResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r TorchResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bench.py output line %d: %w", line, err)
		}
		key := r.What
		if r.What == "decode_step" {
			key = fmt.Sprintf("decode_step/%d", r.Batch)
		}
		res[key] = r
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"train_step", "score_fwd", "decode_step/1", "decode_step/16"} {
		if _, ok := res[k]; !ok {
			return nil, fmt.Errorf("bench.py printed no %s line", k)
		}
	}
	return res, nil
}

func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return ":" + s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
