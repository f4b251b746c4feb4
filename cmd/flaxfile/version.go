package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version, commit and date are set by release builds with -ldflags
// "-X main.version=… -X main.commit=… -X main.date=…" (contrib/release.sh);
// else the module version, and the commit Go records when it builds from
// a git checkout.
var version, commit, date = "", "", ""

// buildInfo is what a binary says of itself.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// readBuildInfo reads the module version, and the commit and its date
// that Go records when it builds from a git checkout.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if b.Version == "" {
		b.Version = "(devel)"
		if ok && bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
	}
	if commit != "" {
		b.Commit, b.Date = commit, date
		return b
	}
	if ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.Date = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	return b
}

// String is the one line --version prints.
func (b buildInfo) String() string {
	s := "FlaxFile " + b.Version
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += "+changes"
		}
		s += " (" + c
		if b.Date != "" {
			s += ", " + b.Date
		}
		s += ")"
	}
	return s + " " + b.Go
}

func newVersionCmd(e *env, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			b := readBuildInfo()
			if g.json {
				out, _ := json.Marshal(b)
				fmt.Fprintln(e.stdout, string(out))
				return nil
			}
			fmt.Fprintf(e.stdout, "%s\n%s\n", b, e.msg("versionFeatures"))
			return nil
		},
	}
}
