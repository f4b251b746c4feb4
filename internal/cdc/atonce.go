package cdc

import (
	"context"
	"errors"
	"io"
	"sort"
	"sync"

	"github.com/zeebo/xxh3"
)

// A file's cuts can be made in parts at once. Where a chunk starts
// decides where it ends, so a part cut from its own start (not a true
// cut) yields wrong chunks at first, and true ones from the first chunk
// that starts where a true chunk ends: the parts are joined there. The
// chunks are Cut's, exactly; data with no content cuts for long (a run of
// one octet) only joins later, and is then cut one chunk after another.

// minPart is the least a part of CutAtOnce is.
const minPart = 8 << 20

// errEnough stops a part's Cut once it has passed its part's end.
var errEnough = errors.New("cdc: part done")

// CutAtOnce is Cut, in parts cut at once by up to parts goroutines.
func CutAtOnce(ctx context.Context, r io.ReaderAt, off, end int64, parts int, fn func(Chunk) error) error {
	parts = int(min(int64(parts), (end-off)/minPart))
	if parts < 2 {
		return Cut(ctx, r, off, end, fn)
	}
	lists := make([][]Chunk, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for k := range parts {
		start, stop := off+(end-off)*int64(k)/int64(parts), off+(end-off)*int64(k+1)/int64(parts)
		wg.Go(func() {
			err := Cut(ctx, r, start, end, func(c Chunk) error {
				lists[k] = append(lists[k], c)
				if c.Off+c.Len >= stop {
					return errEnough
				}
				return nil
			})
			if !errors.Is(err, errEnough) {
				errs[k] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return join(r, lists, end, fn)
}

// join passes on the true chunks: the first part's, then from each later
// part those from the first that starts where a true chunk ends, cutting
// one chunk at a time from r until such a one is found.
func join(r io.ReaderAt, lists [][]Chunk, end int64, fn func(Chunk) error) error {
	pos := lists[0][0].Off
	var buf []byte
	next := 0 // the first list a later true chunk may be found in
	for pos < end {
		found := false
		for k := next; k < len(lists) && !found; k++ {
			l := lists[k]
			i := sort.Search(len(l), func(i int) bool { return l[i].Off >= pos })
			if i == len(l) || l[i].Off != pos {
				continue
			}
			for _, c := range l[i:] {
				if err := fn(c); err != nil {
					return err
				}
			}
			pos = l[len(l)-1].Off + l[len(l)-1].Len
			next, found = k+1, true
		}
		if found {
			continue
		}
		if buf == nil {
			buf = make([]byte, Max)
		}
		m := min(int64(Max), end-pos)
		if k, err := r.ReadAt(buf[:m], pos); int64(k) < m {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		n := Next(buf[:m])
		if err := fn(Chunk{Off: pos, Len: int64(n), Sum: xxh3.Hash(buf[:n])}); err != nil {
			return err
		}
		pos += int64(n)
	}
	return nil
}
