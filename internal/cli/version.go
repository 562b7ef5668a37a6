package cli

import (
	"fmt"
	"runtime/debug"
)

// Version describes the running binary: the module version (from the VCS
// stamp of `go build`, "(devel)" when there is none), the commit with a
// "+dirty" mark for uncommitted changes, the Go toolchain and GoMLX.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	commit := settings["vcs.revision"]
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if settings["vcs.modified"] == "true" {
		commit += "+dirty"
	}
	gomlx := "not linked"
	for _, d := range bi.Deps {
		if d.Path == "github.com/gomlx/gomlx" {
			gomlx = d.Version
			if d.Replace != nil {
				gomlx += " => " + d.Replace.Path + " " + d.Replace.Version
			}
		}
	}
	mod := bi.Main.Version
	if mod == "" {
		mod = "(devel)"
	}
	return fmt.Sprintf("%s (commit %s, %s, GoMLX %s)", mod, commit, bi.GoVersion, gomlx)
}
