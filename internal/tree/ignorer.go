package tree

import (
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Ignorer tells whether a path that is not (yet) in the tree would be
// skipped by Walk with the same root and Options: a pull uses it to leave
// alone every local path its ignore rules exclude, including files the
// server has there and the local side does not.
type Ignorer struct {
	root string
	o    Options
	base []rule
	tail []rule
	dirs map[string]*dirRules // by directory path from the root
}

// dirRules are the rules that apply inside one directory, and their
// matchers.
type dirRules struct {
	rules        []rule
	match, files gitignore.Matcher
}

// NewIgnorer returns the Ignorer of the tree at root.
func NewIgnorer(root string, o Options) *Ignorer {
	ig := &Ignorer{root: root, o: o, dirs: map[string]*dirRules{}}
	ig.base, ig.tail = optionRules(o)
	return ig
}

// Ignored reports whether the file at rel ("/"-separated, from the root)
// is excluded: by a rule on itself or on a directory above it.
func (ig *Ignorer) Ignored(rel string) bool {
	parts := strings.Split(rel, "/")
	for i := range parts {
		d := ig.at(parts[:i])
		if i == len(parts)-1 {
			return d.files.Match(parts, false)
		}
		if d.match.Match(parts[:i+1], true) {
			return true
		}
	}
	return false
}

// at returns the rules inside the directory at path components dir,
// reading its ignore files (if it exists locally) once.
func (ig *Ignorer) at(dir []string) *dirRules {
	key := strings.Join(dir, "/")
	if d := ig.dirs[key]; d != nil {
		return d
	}
	var inherited []rule
	if len(dir) == 0 {
		inherited = ig.base
	} else {
		inherited = ig.at(dir[:len(dir)-1]).rules
	}
	rules := inherited
	if !ig.o.NoIgnore {
		w := walker{root: ig.root}
		if own := w.readIgnores(filepath.Join(append([]string{ig.root}, dir...)...), dir); len(own) > 0 {
			rules = append(append([]rule(nil), inherited...), own...)
		}
	}
	d := &dirRules{rules: rules}
	d.match, d.files = matchers(append(append([]rule(nil), rules...), ig.tail...))
	ig.dirs[key] = d
	return d
}
