package flaxfile

import (
	"context"
	"fmt"
	"iter"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/umask"
	"github.com/flaxfile/flaxfile/internal/wire"
	"golang.org/x/sync/errgroup"
)

// FileSpec pairs a key on the server with a local path.
type FileSpec struct {
	Key  string
	Path string
	// Dir, when not empty, is the directory Path lies beneath (Pull's
	// target tree): a download creates and opens what it writes from
	// there without following a symbolic link on the way. Empty means
	// Path's own directory.
	Dir string
}

// Batching limits: the files and octets of one batch, and the batches in
// flight at once.
const (
	batchFiles   = 256
	batchOctets  = 8 << 20
	batchStreams = 4
)

// SetFiles uploads many files. With a FlaxFile 2 server, files up to 1 MiB
// go many to a message (each checked by hash and published on its own),
// larger ones one at a time with SetFile, alongside; with a 1.2 server
// every file goes with SetFile. fn, if not nil, is told each file's
// outcome, from one goroutine at a time; a batch lost with its connection
// is reported as the failure of each of its files. The error returned is
// ctx's, when it ends the work.
func (c *Client) SetFiles(ctx context.Context, files []FileSpec, fn func(FileSpec, *Result, error)) error {
	return c.SetFileSeq(ctx, slices.Values(files), fn)
}

// SetFileSeq is SetFiles over a sequence, consumed as the work proceeds,
// so that memory stays flat however many files there are.
func (c *Client) SetFileSeq(ctx context.Context, files iter.Seq[FileSpec], fn func(FileSpec, *Result, error)) error {
	report := serialise(fn)
	large, largeDone := oneByOne(ctx, report, func(ctx context.Context, f FileSpec) (*Result, error) { return c.SetFile(ctx, f.Key, f.Path) })
	var g errgroup.Group
	g.SetLimit(batchStreams)
	var batch []FileSpec
	var octets int64
	flush := func() {
		if len(batch) > 0 {
			b := batch
			g.Go(func() error {
				if err := c.putBatch(ctx, b, report); err != nil {
					for _, f := range b {
						report(f, nil, err)
					}
				}
				return nil
			})
		}
		batch, octets = nil, 0
	}
	for f := range files {
		if ctx.Err() != nil {
			break
		}
		fi, err := os.Stat(f.Path)
		switch {
		case err != nil:
			report(f, nil, err)
		case !fi.Mode().IsRegular():
			report(f, nil, fmt.Errorf("flaxfile: %s is not a regular file", f.Path))
		case c.v2 && fi.Size() <= wire.MaxSmallFile:
			if len(batch) > 0 && (len(batch) == batchFiles || octets+fi.Size() > batchOctets) {
				flush()
			}
			batch = append(batch, f)
			octets += fi.Size()
		default:
			large <- f
		}
	}
	flush()
	_ = g.Wait()
	close(large)
	<-largeDone
	return ctx.Err()
}

// oneByOne runs transfer for each file sent on the channel it returns,
// one after another (each already uses several connections), reporting
// each; the second channel closes once the first is closed and drained.
func oneByOne(ctx context.Context, report func(FileSpec, *Result, error),
	transfer func(context.Context, FileSpec) (*Result, error)) (chan<- FileSpec, <-chan struct{}) {
	large := make(chan FileSpec, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range large {
			if ctx.Err() != nil {
				report(f, nil, ctx.Err())
				continue
			}
			r, err := transfer(ctx, f)
			report(f, r, err)
		}
	}()
	return large, done
}

// serialise makes fn safe to call from several goroutines.
func serialise(fn func(FileSpec, *Result, error)) func(FileSpec, *Result, error) {
	var mu sync.Mutex
	return func(f FileSpec, r *Result, err error) {
		if fn != nil {
			mu.Lock()
			defer mu.Unlock()
			fn(f, r, err)
		}
	}
}

// putBatch sends one PUT_SMALL. Files that cannot be read are reported
// and left out.
func (c *Client) putBatch(ctx context.Context, batch []FileSpec, report func(FileSpec, *Result, error)) error {
	start := time.Now()
	var req wire.PutSmall
	var sent []FileSpec
	for _, f := range batch {
		data, fi, err := readSmall(f.Path)
		if err != nil {
			report(f, nil, err)
			continue
		}
		req.Files = append(req.Files, wire.SmallFile{Key: f.Key, MTime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode().Perm()),
			Sum: digest.Small(data).String(), Data: data})
		sent = append(sent, f)
	}
	if len(sent) == 0 {
		return nil
	}
	r, err := c.request(ctx, req)
	if err != nil {
		return err
	}
	defer r.Release()
	rep, err := wire.ParsePutSmallReply(r.frames, len(sent))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	d := time.Since(start)
	for i, res := range rep.Results {
		if res.Error != "" {
			report(sent[i], nil, &ServerError{Command: wire.CmdPutSmall, Message: res.Error})
			continue
		}
		if c.opts.Progress != nil {
			c.opts.Progress.Transferred(sent[i].Key, res.Size)
		}
		report(sent[i], &Result{Key: res.Key, Size: res.Size, Duration: d, Connections: 1, Window: 1,
			Checksum: "xxh3-128-blocks:" + res.Hash, Moved: res.Size, Protocol: wire.Version2}, nil)
	}
	return nil
}

// readSmall reads a whole small file; one that grew past the batch limit
// since it was listed is an error (it would be sent on its own next time).
func readSmall(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() > wire.MaxSmallFile {
		return nil, nil, fmt.Errorf("flaxfile: %s grew to %d octets while being sent", path, fi.Size())
	}
	data := make([]byte, fi.Size())
	if n, err := f.ReadAt(data, 0); int64(n) < fi.Size() {
		return nil, nil, fmt.Errorf("flaxfile: reading %s: %w", path, err)
	}
	return data, fi, nil
}

// GetFiles downloads many files. With a FlaxFile 2 server, keys are asked
// for many to a message and files up to 1 MiB come back in the reply,
// each checked against its hash and written aside then renamed into place;
// larger ones come with GetFile, alongside. With a 1.2 server each goes
// with GetFile. fn and the error are as for SetFiles.
func (c *Client) GetFiles(ctx context.Context, files []FileSpec, fn func(FileSpec, *Result, error)) error {
	return c.GetFileSeq(ctx, slices.Values(files), fn)
}

// GetFileSeq is GetFiles over a sequence, consumed as the work proceeds.
func (c *Client) GetFileSeq(ctx context.Context, files iter.Seq[FileSpec], fn func(FileSpec, *Result, error)) error {
	report := serialise(fn)
	large, largeDone := oneByOne(ctx, report, c.getFile)
	var g errgroup.Group
	g.SetLimit(batchStreams)
	var batch []FileSpec
	flush := func() {
		if len(batch) > 0 {
			b := batch
			g.Go(func() error {
				for len(b) > 0 {
					later, big, err := c.getBatch(ctx, b, report)
					if err != nil {
						for _, f := range b {
							report(f, nil, err)
						}
						return nil
					}
					for _, f := range big {
						large <- f
					}
					b = later
				}
				return nil
			})
		}
		batch = nil
	}
	for f := range files {
		if ctx.Err() != nil {
			break
		}
		if !c.v2 {
			large <- f
			continue
		}
		batch = append(batch, f)
		if len(batch) == batchFiles {
			flush()
		}
	}
	flush()
	_ = g.Wait()
	close(large)
	<-largeDone
	return ctx.Err()
}

// getBatch sends one GET_SMALL and writes what comes back; it returns the
// files the server left for a later batch and those to fetch on their own.
func (c *Client) getBatch(ctx context.Context, batch []FileSpec, report func(FileSpec, *Result, error)) (later, large []FileSpec, err error) {
	start := time.Now()
	req := wire.Keys{Cmd: wire.CmdGetSmall, Keys: make([]string, len(batch))}
	for i, f := range batch {
		req.Keys[i] = f.Key
	}
	r, err := c.request(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	defer r.Release()
	files, err := wire.ParseGetSmallReply(r.frames, len(batch))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	d := time.Since(start)
	for i, f := range batch {
		switch msg := files[i].Err; msg {
		case "":
		case wire.SmallLater:
			later = append(later, f)
			continue
		case wire.SmallLarge:
			large = append(large, f)
			continue
		default:
			report(f, nil, &ServerError{Command: wire.CmdGetSmall, Message: msg})
			continue
		}
		res, err := writeSmall(f, files[i], c.umask)
		if err == nil {
			res.Duration = d
			if c.opts.Progress != nil {
				c.opts.Progress.Transferred(f.Key, res.Size)
			}
		}
		report(f, res, err)
	}
	if len(later) == len(batch) {
		return nil, nil, fmt.Errorf("%w: %s sent none of %d files", ErrProtocol, wire.CmdGetSmall, len(batch))
	}
	return later, large, nil
}

// writeSmall checks one file of a GET_SMALL (or a whole GET) reply and
// writes it aside, then renames it into place with its mode (less mask)
// and time.
func writeSmall(f FileSpec, sf wire.SmallReplyFile, mask os.FileMode) (*Result, error) {
	if sf.Malformed != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrProtocol, f.Key, sf.Malformed)
	}
	size, mtime, mode := sf.File.Size, sf.File.MTime, os.FileMode(sf.File.Mode)&0o777
	data := sf.Data
	if int64(len(data)) != size {
		return nil, fmt.Errorf("%w: %s: %d octets, the server said %d", ErrIncomplete, f.Key, len(data), size)
	}
	if sum := digest.Small(data); sum.String() != sf.File.Sum {
		return nil, fmt.Errorf("%w: %s: received data hashes to %s, the server's file to %s", ErrChecksum, f.Key, sum, sf.File.Sum)
	}
	err := writeAside(dirFor(f), f.Path, umask.Apply(mode, 0o644, mask), wire.PeerMTime(mtime, time.Now()), func(tmp *os.File) error {
		_, err := tmp.Write(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Result{Key: f.Key, Size: size, Connections: 1, Window: 1, Checksum: "xxh3-128-blocks:" + sf.File.Sum, Moved: size, Protocol: wire.Version2}, nil
}
