package checkpoints_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"acecoder/checkpoints"
)

// A trainer saves weights as an opaque file plus JSON state and its config,
// then resumes with --resume latest.
func Example() {
	root, err := os.MkdirTemp("", "ckpt-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)

	type loop struct{ Step, Epoch int64 }
	saver := &checkpoints.Saver{Root: root, Options: checkpoints.Options{Keep: 2}}
	for step := int64(100); step <= 300; step += 100 {
		_, err := saver.Save(context.Background(), step, checkpoints.Content{
			Files:  []checkpoints.File{{Name: "model.safetensors", Write: checkpoints.Bytes([]byte("..."))}},
			State:  map[string]any{"loop": loop{Step: step, Epoch: step / 200}},
			Config: []byte("model:\n  layers: 4\n"),
		})
		if err != nil {
			panic(err)
		}
	}

	c, skipped, err := checkpoints.Resolve(checkpoints.ResumeLatest, root)
	if errors.Is(err, checkpoints.ErrNoCheckpoint) {
		fmt.Println("fresh start")
		return
	} else if err != nil {
		panic(err)
	}
	var st loop
	if err := c.DecodeState("loop", &st); err != nil {
		panic(err)
	}
	cfg, _ := c.Config() // the architecture comes from here on resume
	steps, _ := checkpoints.Steps(root)
	fmt.Printf("resume at step %d (epoch %d), %d skipped, kept %v\n%s", c.Step(), st.Epoch, len(skipped), steps, cfg)
	// Output:
	// resume at step 300 (epoch 1), 0 skipped, kept [300 200]
	// model:
	//   layers: 4
}
