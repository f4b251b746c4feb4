package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/wire"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// putSmall stores a batch of small files: [then per file: key, mtime_ns,
// mode, file hash, data]. Each is checked against its hash and published
// on its own (one failing does not stop the others); their data is
// flushed with one syncfs before any is published.
func (s *Server) putSmall(r *request) {
	if len(r.args) == 0 || len(r.args)%5 != 0 || len(r.args)/5 > wire.MaxSmallBatch {
		r.fail(fmt.Sprintf("a batch is 5 frames per file, at most %d files", wire.MaxSmallBatch))
		return
	}
	n := len(r.args) / 5
	results := make([]wire.SmallResult, n)
	type pending struct {
		i    int
		up   store.Upload
		opts store.CommitOptions
	}
	var ready []pending
	for i := range n {
		a := r.args[5*i : 5*i+5]
		key, msg := fileKey(a[0])
		res := &results[i]
		res.Key, res.Size = string(a[0]), int64(len(a[4]))
		mtime, ok1 := num(a[1])
		mode, ok2 := num(a[2])
		switch {
		case msg != "":
			res.Error = msg
			continue
		case !ok1 || !ok2 || mode > 0o7777:
			res.Error = "invalid mtime or mode"
			continue
		case len(a[4]) > wire.MaxSmallFile:
			res.Error = "file too large for a batch"
			continue
		}
		sum := digest.Small(a[4])
		if sum.String() != string(a[3]) {
			res.Error = fmt.Sprintf("checksum mismatch: received data hashes to %s, the client read %s", sum, a[3])
			continue
		}
		up, err := s.cfg.Store.Create(r.ctx, key)
		if err == nil {
			_, err = up.WriteAt(a[4], 0)
			if err != nil {
				_ = up.Abort()
			}
		}
		if err != nil {
			res.Error = pyError(key, err)
			continue
		}
		t := wire.PeerMTime(mtime, time.Now())
		if t.IsZero() { // none, or far ahead
			t = time.Now()
		}
		meta, _ := json.Marshal(fileMeta{Size: res.Size, MTime: t.UnixNano(), Hash: sum.String()})
		res.Key, res.Hash = key, sum.String()
		ready = append(ready, pending{i, up, store.CommitOptions{NoSync: s.cfg.NoSync, ModTime: t, Mode: modeBits(uint32(mode)), Meta: meta}})
	}
	if sy, ok := s.cfg.Store.(store.Syncer); ok && !s.cfg.NoSync && len(ready) > 1 {
		if sy.SyncAll(r.ctx) == nil {
			for k := range ready {
				ready[k].opts.NoSync = true // flushed already
			}
		}
	}
	for _, p := range ready {
		if err := p.up.Commit(r.ctx, p.opts); err != nil {
			results[p.i].Error, results[p.i].Hash = pyError(results[p.i].Key, err), ""
			continue
		}
		s.uploadsDone.Add(1)
		s.bytesUp.Add(results[p.i].Size)
	}
	out, _ := json.Marshal(results)
	r.log.Info("batch stored", "files", n, "published", len(ready))
	r.ok(out)
}

// getSmall sends a batch of small files: [key...]. Each file's data goes
// by sendfile on a plaintext connection; a larger file is answered
// "large", to be fetched on its own.
func (s *Server) getSmall(r *request) {
	if len(r.args) == 0 || len(r.args) > wire.MaxSmallBatch {
		r.fail(fmt.Sprintf("a batch names 1 to %d keys", wire.MaxSmallBatch))
		return
	}
	parts := []zmtp.Part{{Data: []byte(wire.ReplyOK)}}
	var open []store.Object
	defer func() {
		for _, o := range open {
			o.Close()
		}
	}()
	var total int64
	for _, a := range r.args {
		fail := func(msg string) {
			parts = append(parts, zmtp.Part{Data: []byte(msg)}, zmtp.Part{}, zmtp.Part{}, zmtp.Part{}, zmtp.Part{}, zmtp.Part{})
		}
		key, msg := fileKey(a)
		if msg != "" {
			fail(msg)
			continue
		}
		obj, err := s.cfg.Store.Open(r.ctx, key)
		if err != nil {
			fail(downloadError(key, err))
			continue
		}
		open = append(open, obj)
		in := obj.Info()
		if in.Size > wire.MaxSmallFile {
			fail(wire.SmallLarge)
			continue
		}
		if total+in.Size > wire.MaxSmallReply {
			fail(wire.SmallLater)
			continue
		}
		total += in.Size
		sum, err := fileHash(obj, hashBlocks)
		if err != nil {
			fail(fmt.Sprintf("read error: %v", err))
			continue
		}
		data, err := wholeFile(obj, in.Size)
		if err != nil {
			fail(err.Error())
			continue
		}
		parts = append(parts, zmtp.Part{}, zmtp.Part{Data: wire.Itoa(in.Size)}, zmtp.Part{Data: wire.Itoa(in.ModTime.UnixNano())},
			zmtp.Part{Data: wire.Itoa(int64(in.Mode.Perm()))}, zmtp.Part{Data: []byte(sum)}, data)
		s.downloadsDone.Add(1)
		s.bytesDown.Add(in.Size)
	}
	r.replyParts(parts...)
}

// wholeFile is a small file's content as a reply frame: sent from the
// file (sendfile, on a plaintext connection) when the store has one, else
// read now, so that a read error can still be answered cleanly.
func wholeFile(obj store.Object, size int64) (zmtp.Part, error) {
	if f := fileOf(obj); f != nil {
		return zmtp.Part{File: f, Offset: 0, Len: size}, nil
	}
	buf := make([]byte, size)
	if m, err := obj.ReadAt(buf, 0); int64(m) < size {
		return zmtp.Part{}, fmt.Errorf("read error: %v", err)
	}
	return zmtp.Part{Data: buf}, nil
}
