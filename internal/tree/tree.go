// Package tree walks a local directory for push and pull: its regular
// files in path order (component by component, octet by octet, the
// order the server lists in), minus what the ignore rules drop, with a
// symlink policy that never leaves the tree.
//
// Ignore rules, from lowest to highest priority: the automatic ones
// (Defaults), then every .gitignore and .flaxignore from the root down to
// a file's directory (deeper files win, as in git), then Options.Exclude,
// then Options.Include (which keeps what it matches whatever the rest
// says). NoIgnore drops the automatic rules and the files, not Exclude and
// Include.
package tree

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Defaults are the automatic ignores: version-control metadata, caches
// and dependency trees that are rebuilt rather than copied, and
// FlaxFile's own partial downloads.
var Defaults = []string{
	".git/", ".hg/", ".svn/", ".bzr/",
	"__pycache__/", "*.pyc", ".pytest_cache/", ".mypy_cache/", ".tox/", ".venv/",
	"node_modules/", ".DS_Store", "Thumbs.db",
	"*.flaxfile-partial", "*.flaxfile-partial.journal", ".*.flaxfile-*",
}

// IgnoreFiles are read in every directory.
var IgnoreFiles = []string{".gitignore", ".flaxignore"}

// Options tune a walk.
type Options struct {
	// NoIgnore turns off Defaults and IgnoreFiles.
	NoIgnore bool
	// Exclude and Include are extra patterns in .gitignore syntax,
	// relative to the root.
	Exclude, Include []string
	// Warn, if not nil, is told of every entry skipped for a reason other
	// than an ignore rule (a link leaving the tree, a name that is not
	// UTF-8, an unreadable directory).
	Warn func(rel, reason string)
}

// File is one regular file of the tree.
type File struct {
	// Rel is the path from the root, with "/" separators.
	Rel   string
	Size  int64
	MTime int64 // nanoseconds since the epoch
	Mode  fs.FileMode
	// Link is set when the entry is a symbolic link to a regular file
	// inside the tree; Size, MTime and Mode are then its target's.
	Link bool
}

// Walk calls fn for every file of the tree at root, in path order. A
// missing root is an error matching fs.ErrNotExist. An error from fn stops
// the walk and is returned.
func Walk(root string, o Options, fn func(File) error) error {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("tree: %s is not a directory", root)
	}
	w := &walker{root: real, o: o, fn: fn}
	w.base, w.tail = optionRules(o)
	return w.dir(nil, w.base)
}

// optionRules are the rules o adds around the ignore files: the automatic
// ones below them, Exclude then Include above.
func optionRules(o Options) (base, tail []rule) {
	if !o.NoIgnore {
		base = parse(Defaults, nil)
	}
	incl := parse(o.Include, nil)
	for i := range incl {
		incl[i].p = forceInclude{incl[i].p}
	}
	return base, append(parse(o.Exclude, nil), incl...)
}

type walker struct {
	root string
	o    Options
	fn   func(File) error
	base []rule // the automatic rules
	tail []rule // Exclude, then Include
}

// rule is a parsed pattern; dirOnly patterns (a trailing "/") can match
// only directories, which are pruned before their files are seen, so
// files are checked against the others only.
type rule struct {
	p       gitignore.Pattern
	dirOnly bool
}

// matchers returns the matcher for directories and the one for files.
func matchers(rs []rule) (dirs, files gitignore.Matcher) {
	var all, f []gitignore.Pattern
	for _, r := range rs {
		all = append(all, r.p)
		if !r.dirOnly {
			f = append(f, r.p)
		}
	}
	return gitignore.NewMatcher(all), gitignore.NewMatcher(f)
}

// forceInclude turns any match of an Include pattern into an inclusion.
type forceInclude struct{ p gitignore.Pattern }

func (f forceInclude) Match(path []string, isDir bool) gitignore.MatchResult {
	if f.p.Match(path, isDir) != gitignore.NoMatch {
		return gitignore.Include
	}
	return gitignore.NoMatch
}

func parse(lines []string, domain []string) []rule {
	var rs []rule
	for _, l := range lines {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		t := l
		if !strings.HasSuffix(t, "\\ ") {
			t = strings.TrimRight(t, " ")
		}
		var p gitignore.Pattern = gitignore.ParsePattern(l, domain)
		if lit := mustContain(t); lit != "" {
			p = quick{p, lit}
		}
		rs = append(rs, rule{p: p, dirOnly: strings.HasSuffix(t, "/")})
	}
	return rs
}

// mustContain is, for a pattern that matches names (no "/" but a trailing
// one) with "*" as its only wildcard, the longest run of it that any name
// it matches contains; "" for other patterns.
func mustContain(line string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(line, "!"), "/")
	if body == "" || strings.ContainsAny(body, "/[?\\") {
		return ""
	}
	lit := ""
	for _, run := range strings.Split(body, "*") {
		if len(run) > len(lit) {
			lit = run
		}
	}
	return lit
}

// quick is a name pattern that first looks for the run every name it
// matches contains: a path with no such name is no match, without a glob
// match per name (go-git's, through filepath.Match, was an eighth of a
// no-change push's client time with the automatic ignores alone).
type quick struct {
	p   gitignore.Pattern
	lit string
}

func (q quick) Match(path []string, isDir bool) gitignore.MatchResult {
	for _, name := range path {
		if strings.Contains(name, q.lit) {
			return q.p.Match(path, isDir)
		}
	}
	return gitignore.NoMatch
}

// readIgnores reads the ignore files of one directory.
func (w *walker) readIgnores(dir string, domain []string) []rule {
	var ps []rule
	for _, name := range IgnoreFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var lines []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		ps = append(ps, parse(lines, domain)...)
	}
	return ps
}

// dir walks the directory at path components rel, with the patterns that
// apply above it.
func (w *walker) dir(rel []string, inherited []rule) error {
	dir := filepath.Join(append([]string{w.root}, rel...)...)
	ps := inherited
	if !w.o.NoIgnore {
		if own := w.readIgnores(dir, rel); len(own) > 0 {
			ps = append(append([]rule(nil), inherited...), own...)
		}
	}
	m, mf := matchers(append(append([]rule(nil), ps...), w.tail...))
	entries, stats, err := readDir(dir, func(name string) bool { return !mf.Match(append(rel[:len(rel):len(rel)], name), false) })
	if err != nil {
		if len(rel) == 0 {
			return err
		}
		w.warn(strings.Join(rel, "/"), "unreadable directory: "+err.Error())
		return nil
	}
	for i, e := range entries {
		name := e.Name()
		path := append(rel[:len(rel):len(rel)], name)
		relPath := strings.Join(path, "/")
		if !utf8.ValidString(name) {
			w.warn(relPath, "name is not UTF-8")
			continue
		}
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			if mf.Match(path, false) {
				continue
			}
			f, ok := w.link(dir, relPath, name)
			if !ok {
				continue
			}
			if err := w.fn(f); err != nil {
				return err
			}
			continue
		}
		if typ.IsDir() {
			if m.Match(path, true) {
				continue
			}
			if err := w.dir(path, ps); err != nil {
				return err
			}
			continue
		}
		st := stats[i]
		if !typ.IsRegular() || !st.wanted {
			continue
		}
		if st.err != nil {
			if !errors.Is(st.err, fs.ErrNotExist) { // else gone since the directory was read
				w.warn(relPath, st.err.Error())
			}
			continue
		}
		if err := w.fn(File{Rel: relPath, Size: st.size, MTime: st.mtime, Mode: st.mode}); err != nil {
			return err
		}
	}
	return nil
}

// entryStat is what readDir found of one regular file.
type entryStat struct {
	wanted bool // a regular file its caller asked for
	size   int64
	mtime  int64
	mode   fs.FileMode // permission bits
	err    error
}

// readDir lists the directory at dir sorted by name, octet by octet, and
// looks up the regular files whose names want accepts (and whose names
// are UTF-8) relative to the open directory: one path component each, not
// the whole path from the root (measured: a fifth to a third less time per
// file than os.ReadDir's Info). The directory is closed before it
// returns, so that a deep tree never holds a descriptor per level.
func readDir(dir string, want func(name string) bool) ([]fs.DirEntry, []entryStat, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	stats := make([]entryStat, len(entries))
	at := statter(d)
	for i, e := range entries {
		if !e.Type().IsRegular() || !utf8.ValidString(e.Name()) || !want(e.Name()) {
			continue
		}
		st := &stats[i]
		st.wanted = true
		st.size, st.mtime, st.mode, st.err = at(e.Name())
	}
	return entries, stats, nil
}

// link applies the symlink policy: a link to a regular file inside the
// tree stands for that file; anything else (outside, broken, a
// directory) is skipped with a warning.
func (w *walker) link(dir, rel, name string) (File, bool) {
	target, err := filepath.EvalSymlinks(filepath.Join(dir, name))
	if err != nil {
		w.warn(rel, "broken symbolic link")
		return File{}, false
	}
	if r, err := filepath.Rel(w.root, target); err != nil || r == ".." || strings.HasPrefix(r, "../") {
		w.warn(rel, "symbolic link leads out of the tree")
		return File{}, false
	}
	fi, err := os.Stat(target)
	if err != nil || !fi.Mode().IsRegular() {
		w.warn(rel, "symbolic link to a directory or special file")
		return File{}, false
	}
	return File{Rel: rel, Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Mode: fi.Mode().Perm(), Link: true}, true
}

func (w *walker) warn(rel, reason string) {
	if w.o.Warn != nil {
		w.o.Warn(rel, reason)
	}
}
