package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/checkpoints"
	"acecoder/internal/cli"
)

func TestCheckpointsCommand(t *testing.T) {
	root := t.TempDir()
	for _, step := range []int64{10, 20} {
		files := []checkpoints.File{{Name: "model.safetensors", Write: checkpoints.Bytes([]byte("weights"))}}
		if _, err := checkpoints.Save(context.Background(), root, step, checkpoints.Content{Files: files}, checkpoints.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(root, checkpoints.StepDirName(20))
	if err := os.WriteFile(filepath.Join(bad, "model.safetensors"), []byte("weightz"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{name: "list", args: []string{"checkpoints", "list", root}, wantCode: cli.ExitOK,
			wantOut: []string{"step-00000020  INVALID", "file model.safetensors: sha256", "step-00000010  ok  1 files",
				"latest: " + filepath.Join(root, "step-00000010")}},
		{name: "verify good", args: []string{"checkpoints", "verify", filepath.Join(root, "step-00000010")},
			wantCode: cli.ExitOK, wantOut: []string{"ok  step 10"}},
		{name: "verify bad", args: []string{"checkpoints", "verify", bad}, wantCode: cli.ExitFailure,
			wantOut: []string{"INVALID"}, wantErr: "1 of 1 checkpoints invalid"},
		{name: "list empty", args: []string{"checkpoints", "list", t.TempDir()}, wantCode: cli.ExitFailure,
			wantErr: "no valid checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot()
			var out, errOut bytes.Buffer
			root.SetOut(&out)
			code := cli.Run(context.Background(), root, tc.args, &errOut)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errOut.String())
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output %q lacks %q", out.String(), want)
				}
			}
			if !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.wantErr)
			}
		})
	}
}
