// Package dirsync makes a directory on a FlaxFile server and a local
// directory alike, over the exported flaxfile.Client: Push sends what
// differs, Pull fetches it. Both sides are listed in path order and merged
// (merge.go); files of the same size but another time are decided by
// hashes (hash.go); the plan is spooled to a temporary file (spool.go) so
// that memory does not grow with the tree; the transfers themselves are
// the client's batches.
package dirsync

import (
	"errors"
	"fmt"
	"time"
)

// Options configures Push and Pull. The zero value compares, sends
// what differs, and deletes nothing.
type Options struct {
	// Exclude and Include are extra ignore patterns (.gitignore syntax);
	// Include keeps what it matches against every other rule.
	Exclude, Include []string
	// NoIgnore turns off the automatic ignores and the .gitignore and
	// .flaxignore files (Exclude and Include still apply).
	NoIgnore bool
	// Force sends every file without comparing.
	Force bool
	// Delete removes, on the receiving side, files the sending side does
	// not have (also with Force).
	Delete bool
	// LimitDelete refuses the whole sync (nothing is changed) when it
	// needs more than MaxDelete deletions.
	LimitDelete bool
	MaxDelete   int
	// AllowDeleteAll lets Delete remove every file of the receiving side
	// when the sending side is empty or missing, which is refused
	// otherwise.
	AllowDeleteAll bool
	// DryRun plans and changes nothing.
	DryRun bool
	// CacheDir holds the local hash caches; empty means the user's cache
	// directory. NoCache turns the cache off.
	CacheDir string
	NoCache  bool
	// Warn, if not nil, is told of local entries skipped for a reason
	// other than an ignore rule.
	Warn func(rel, reason string)
	// Planned, if not nil, is given the plan once it is made, before
	// anything is changed (after the safety rules have passed).
	Planned func(Plan)
	// Done, if not nil, is told of each file's outcome as it happens,
	// from one goroutine at a time.
	Done func(File, error)
}

// Sync actions. Plans say new, modified or delete; Done says send for a
// file sent (new or modified) and delete for a deletion.
const (
	ActionNew      = "new"
	ActionModified = "modified"
	ActionDelete   = "delete"
	ActionSend     = "send"
)

// File is one file a sync acts on.
type File struct {
	// Rel is the path below the synced directory, "/"-separated.
	Rel    string `json:"path"`
	Action string `json:"action"`
	Size   int64  `json:"size"`
}

// Plan is what a sync found and means to do.
type Plan struct {
	// Files to send (new and modified) and to delete: filled in for a
	// dry run only (a real run streams them, whatever their number).
	Files []File `json:"files"`
	// Counts by kind; Local and Remote count the files on each side.
	New, Modified, Unchanged, Delete int
	Local, Remote                    int
	// Bytes to send.
	Bytes int64
}

// Failure is a file that could not be synced.
type Failure struct {
	Rel string `json:"path"`
	Err string `json:"error"`
}

// Result is what a sync did.
type Result struct {
	Plan                  Plan
	Sent, Deleted, Failed int
	// Bytes sent (or received, for Pull), resumed transfers counting only
	// what moved.
	Bytes    int64
	Duration time.Duration
	Failures []Failure
}

// ErrMissingSource is a sync whose sending side is missing: a local
// directory that does not exist, or a remote directory that holds no
// files (or names a file). It is also an ErrRefused: nothing was changed.
var ErrMissingSource = fmt.Errorf("%w: nothing to sync from", ErrRefused)

// ErrRefused is a sync that its safety rules refused; nothing was
// changed.
var ErrRefused = errors.New("flaxfile: sync refused")

// errStopWalk ends a listing early.
var errStopWalk = errors.New("stop")
