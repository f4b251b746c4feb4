// Package syncplan decides what push and pull do with each file: it
// merges the local tree and the remote listing, both in path order, and
// classifies every path seen on either side.
package syncplan

import (
	"fmt"
	"iter"
	"strings"
)

// Compare orders paths component by component, each compared octet by
// octet: the order of a directory walk with sorted entries ("a/x" comes
// before "a-b", since "a" < "a-b"). It returns -1, 0 or +1.
func Compare(a, b string) int {
	for {
		ac, arest, amore := strings.Cut(a, "/")
		bc, brest, bmore := strings.Cut(b, "/")
		if c := strings.Compare(ac, bc); c != 0 {
			return c
		}
		switch {
		case !amore && !bmore:
			return 0
		case !amore:
			return -1
		case !bmore:
			return 1
		}
		a, b = arest, brest
	}
}

// Entry is a file on one side: its path below the synced root, size,
// modification time (nanoseconds) and, when known, content hash.
type Entry struct {
	Rel   string
	Size  int64
	MTime int64
	Hash  string
}

// Kind is what a path is, seen from the sending side.
type Kind int

// Kinds of path.
const (
	// New: only the sender has it.
	New Kind = iota
	// Extra: only the receiver has it (deleted with --delete).
	Extra
	// Modified: both have it and it differs (sizes differ, or hashes).
	Modified
	// Unchanged: both have it, same size and time, or same hash.
	Unchanged
	// Check: same size but another time, and a hash is missing on one
	// side: hash both to decide.
	Check
)

// Classify decides one path seen on both sides. mtimeKept says the
// receiver keeps the sender's modification times (FlaxFile 2 does; 1.2
// stamps uploads with the time they arrived), so equal times mean equal
// files.
func Classify(src, dst Entry, mtimeKept bool) Kind {
	switch {
	case src.Size != dst.Size:
		return Modified
	case mtimeKept && src.MTime == dst.MTime:
		return Unchanged
	case src.Hash != "" && dst.Hash != "":
		if src.Hash == dst.Hash {
			return Unchanged
		}
		return Modified
	}
	return Check
}

// Merge walks two sequences in path order and calls fn with each path:
// src or dst nil when only one side has it. An out-of-order entry is an
// error, since it would make the merge wrong.
func Merge(src, dst iter.Seq[Entry], fn func(src, dst *Entry) error) error {
	nextS, stopS := iter.Pull(src)
	defer stopS()
	nextD, stopD := iter.Pull(dst)
	defer stopD()
	var lastS, lastD string
	get := func(next func() (Entry, bool), last *string, side string) (*Entry, error) {
		e, ok := next()
		if !ok {
			return nil, nil
		}
		if *last != "" && Compare(*last, e.Rel) >= 0 {
			return nil, fmt.Errorf("syncplan: %s listing out of order: %q after %q", side, e.Rel, *last)
		}
		*last = e.Rel
		return &e, nil
	}
	s, err := get(nextS, &lastS, "source")
	if err != nil {
		return err
	}
	d, err := get(nextD, &lastD, "destination")
	if err != nil {
		return err
	}
	for s != nil || d != nil {
		var c int
		switch {
		case s == nil:
			c = 1
		case d == nil:
			c = -1
		default:
			c = Compare(s.Rel, d.Rel)
		}
		switch {
		case c < 0:
			err = fn(s, nil)
		case c > 0:
			err = fn(nil, d)
		default:
			err = fn(s, d)
		}
		if err != nil {
			return err
		}
		if c <= 0 {
			if s, err = get(nextS, &lastS, "source"); err != nil {
				return err
			}
		}
		if c >= 0 {
			if d, err = get(nextD, &lastD, "destination"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Prefetch runs seq in its own goroutine, up to n entries ahead of the
// consumer, so that a local walk and a remote listing proceed at once
// instead of in turns. Stopping early stops the producer.
func Prefetch(seq iter.Seq[Entry], n int) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		const batch = 256
		ch := make(chan []Entry, max(n/batch, 1))
		done := make(chan struct{})
		go func() {
			defer close(ch)
			buf := make([]Entry, 0, batch)
			send := func() bool {
				// A stopped consumer wins over the drain that may be
				// receiving: the producer goes no further.
				select {
				case <-done:
					return false
				default:
				}
				select {
				case ch <- buf:
					buf = make([]Entry, 0, batch)
					return true
				case <-done:
					return false
				}
			}
			for e := range seq {
				buf = append(buf, e)
				if len(buf) == batch && !send() {
					return
				}
			}
			if len(buf) > 0 {
				send()
			}
		}()
		defer func() {
			close(done)
			for range ch { // let the producer finish
			}
		}()
		for b := range ch {
			for _, e := range b {
				if !yield(e) {
					return
				}
			}
		}
	}
}
