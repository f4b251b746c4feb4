package flaxfile

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/umask"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// FlaxFile 2's batches of small files, each way: the primitives that
// SetFile and GetFile use for one small file and SetFiles and GetFiles
// for many.

// putSmall sends one PUT_SMALL of a batch of small files. Files that cannot be read are reported
// and left out.
func (c *Client) putSmall(ctx context.Context, batch []FileSpec, report func(FileSpec, *Result, error)) error {
	start := time.Now()
	var req wire.PutSmall
	var sent []FileSpec
	for _, f := range batch {
		data, mtime, perm, err := readSmall(f.Path)
		if err != nil {
			report(f, nil, err)
			continue
		}
		req.Files = append(req.Files, wire.SmallFile{Key: f.Key, MTime: mtime, Mode: perm,
			Sum: digest.Small(data).String(), Data: data})
		sent = append(sent, f)
	}
	if len(sent) == 0 {
		return nil
	}
	var octets int64
	for _, f := range req.Files {
		octets += int64(len(f.Data))
	}
	if err := c.pace.Wait(ctx, octets); err != nil {
		return err
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

// getSmall sends one GET_SMALL and writes what comes back; it returns the
// files the server left for a later batch and those to fetch on their own.
func (c *Client) getSmall(ctx context.Context, batch []FileSpec, report func(FileSpec, *Result, error)) (later, large []FileSpec, err error) {
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
	var octets int64
	for _, f := range r.frames {
		octets += int64(len(f))
	}
	if err := c.pace.Wait(ctx, octets); err != nil { // before the next batch
		return nil, nil, err
	}
	files, err := wire.ParseGetSmallReply(r.frames, len(batch))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	d := time.Since(start)
	dirOf, release := holdRoots()
	defer release()
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
		res, err := writeSmall(f, dirOf(f), files[i], c.umask)
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
func writeSmall(f FileSpec, d localDir, sf wire.SmallReplyFile, mask os.FileMode) (*Result, error) {
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
	err := writeAsideBytes(d, f.Path, umask.Apply(mode, 0o644, mask), wire.PeerMTime(mtime, time.Now()), data)
	if err != nil {
		return nil, err
	}
	return &Result{Key: f.Key, Size: size, Connections: 1, Window: 1, Checksum: "xxh3-128-blocks:" + sf.File.Sum, Moved: size, Protocol: wire.Version2}, nil
}
