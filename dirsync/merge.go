// merge.go: both sides of a sync, listed in path order, merged into one
// walk, each path classified by what it is on each side.

package dirsync

import (
	"fmt"
	"iter"

	"github.com/flaxfile/flaxfile/internal/pathorder"
)

// entry is a file on one side: its path below the synced root, size,
// modification time (nanoseconds) and, when known, content hash.
type entry struct {
	Rel   string
	Size  int64
	MTime int64
	Hash  string
}

// kind is what a path both sides have is, seen from the sending side (a
// path only one side has is new, or extra: the merge tells those apart).
type kind int

// Kinds of path.
const (
	// kindModified: both have it and it differs (sizes differ, or hashes).
	kindModified kind = iota
	// kindUnchanged: both have it, same size and time, or same hash.
	kindUnchanged
	// kindCheck: same size but another time, and a hash is missing on one
	// side: hash both to decide.
	kindCheck
)

// classify decides one path seen on both sides. mtimeKept says the
// receiver keeps the sender's modification times (FlaxFile 2 does; 1.2
// stamps uploads with the time they arrived), so equal times mean equal
// files.
func classify(src, dst entry, mtimeKept bool) kind {
	switch {
	case src.Size != dst.Size:
		return kindModified
	case mtimeKept && src.MTime == dst.MTime:
		return kindUnchanged
	case src.Hash != "" && dst.Hash != "":
		if src.Hash == dst.Hash {
			return kindUnchanged
		}
		return kindModified
	}
	return kindCheck
}

// merge walks two sequences in path order and calls fn with each path:
// src or dst nil when only one side has it. An out-of-order entry is an
// error, since it would make the merge wrong.
func merge(src, dst iter.Seq[entry], fn func(src, dst *entry) error) error {
	nextS, stopS := iter.Pull(src)
	defer stopS()
	nextD, stopD := iter.Pull(dst)
	defer stopD()
	var lastS, lastD string
	get := func(next func() (entry, bool), last *string, side string) (*entry, error) {
		e, ok := next()
		if !ok {
			return nil, nil
		}
		if *last != "" && pathorder.Compare(*last, e.Rel) >= 0 {
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
			c = pathorder.Compare(s.Rel, d.Rel)
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

// prefetch runs seq in its own goroutine, up to n entries ahead of the
// consumer, so that a local walk and a remote listing proceed at once
// instead of in turns. Stopping early stops the producer.
func prefetch(seq iter.Seq[entry], n int) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		const batch = 256
		ch := make(chan []entry, max(n/batch, 1))
		done := make(chan struct{})
		go func() {
			defer close(ch)
			buf := make([]entry, 0, batch)
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
					buf = make([]entry, 0, batch)
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
