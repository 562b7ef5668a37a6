package checkpoints

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// tmpPrefix starts the name of every directory under root that is not (yet,
// or any more) a checkpoint: in-progress saves and checkpoints being pruned.
const tmpPrefix = ".tmp-"

// writeBufSize is the buffer between a WriteFunc and the file: large enough
// that small writes from encoders do not each become a syscall.
const writeBufSize = 1 << 20

// hashWriter counts and hashes everything written through it and stops at
// the first error, including cancellation of ctx.
type hashWriter struct {
	ctx  context.Context
	w    *bufio.Writer
	h    hash.Hash
	size int64
	err  error
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	if hw.err != nil {
		return 0, hw.err
	}
	if err := hw.ctx.Err(); err != nil {
		hw.err = err
		return 0, err
	}
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.size += int64(n)
	if err != nil {
		hw.err = err
	}
	return n, err
}

// writeFile creates path (which must not exist), fills it with write, fsyncs
// and closes it, and returns its size and SHA-256.
func writeFile(ctx context.Context, path string, write WriteFunc) (FileInfo, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return FileInfo{}, err
	}
	hw := &hashWriter{ctx: ctx, w: bufio.NewWriterSize(f, writeBufSize), h: sha256.New()}
	err = write(hw)
	if hw.err != nil {
		// The write function may have swallowed the error; the file is short.
		err = hw.err
	}
	if err == nil {
		err = hw.w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{SHA256: hex.EncodeToString(hw.h.Sum(nil)), Size: hw.size}, nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// hashFile returns the SHA-256 (hex) and size of the file at path.
func hashFile(path string) (FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, writeBufSize))
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// removeStale deletes the temporary directories that interrupted saves or
// prunes left under root.
func removeStale(root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// stepDir is a step-%08d directory found under a root.
type stepDir struct {
	step int64
	path string
}

// listStepDirs returns the step directories under root, newest first.
func listStepDirs(root string) ([]stepDir, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var dirs []stepDir
	for _, e := range entries {
		step, ok := ParseStepDirName(e.Name())
		if ok && e.IsDir() {
			dirs = append(dirs, stepDir{step: step, path: filepath.Join(root, e.Name())})
		}
	}
	slices.SortFunc(dirs, func(a, b stepDir) int { return cmp.Compare(b.step, a.step) })
	return dirs, nil
}

// supersededPrefix names step directories moved aside because a save for an
// earlier step made them part of an abandoned run (see prune).
const supersededPrefix = "superseded-"

// prune moves aside step directories newer than justWritten, then keeps the
// newest keep step directories under root (justWritten always among them).
//
// Directories newer than justWritten exist only when a run resumed from an
// older checkpoint into the same root; left in place, Latest would resume
// the abandoned run. They are renamed to superseded-step-%08d (never
// deleted), which Latest ignores. Each pruned directory is first renamed to a
// temporary name (atomic), so none is ever seen half-deleted, then removed.
func prune(root string, keep int, justWritten int64) error {
	dirs, err := listStepDirs(root)
	if err != nil {
		return err
	}
	var errs []error
	kept := 0
	for _, d := range dirs {
		name := filepath.Base(d.path)
		switch {
		case d.step > justWritten:
			if err := moveAside(root, name); err != nil {
				errs = append(errs, err)
			}
		case d.step == justWritten || keep <= 0 || kept < keep:
			kept++
		default:
			doomed := filepath.Join(root, tmpPrefix+"del-"+name)
			if err := os.Rename(d.path, doomed); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := os.RemoveAll(doomed); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := syncDir(root); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// moveAside renames root/name to the first free superseded-name[.N].
func moveAside(root, name string) error {
	target := filepath.Join(root, supersededPrefix+name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			break
		}
		target = filepath.Join(root, fmt.Sprintf("%s%s.%d", supersededPrefix, name, i))
	}
	return os.Rename(filepath.Join(root, name), target)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
