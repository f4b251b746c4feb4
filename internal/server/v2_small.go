package server

import (
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
	m, err := wire.ParsePutSmall(r.args)
	if r.refused(err) {
		return
	}
	n := len(m.Files)
	results := make([]wire.SmallResult, n)
	type pending struct {
		i    int
		up   store.Upload
		opts store.CommitOptions
	}
	var ready []pending
	for i, f := range m.Files {
		res := &results[i]
		res.Key, res.Size = f.Key, int64(len(f.Data))
		key, msg := cleanKey(f.Key)
		if msg == "" {
			msg = f.Err
		}
		if msg != "" {
			res.Error = msg
			continue
		}
		sum := digest.Small(f.Data)
		if sum.String() != f.Sum {
			res.Error = fmt.Sprintf("checksum mismatch: received data hashes to %s, the client read %s", sum, f.Sum)
			continue
		}
		up, err := s.cfg.Store.Create(r.ctx, key)
		if err == nil {
			_, err = up.WriteAt(f.Data, 0)
			if err != nil {
				_ = up.Abort()
			}
		}
		if err != nil {
			res.Error = pyError(key, err)
			continue
		}
		t := wire.PeerMTime(f.MTime, time.Now())
		if t.IsZero() { // none, or far ahead
			t = time.Now()
		}
		meta := fileMeta{Size: res.Size, MTime: t.UnixNano(), Hash: sum.String()}.encode()
		res.Key, res.Hash = key, sum.String()
		ready = append(ready, pending{i, up, store.CommitOptions{NoSync: s.cfg.NoSync, ModTime: t, Mode: modeBits(f.Mode), Meta: meta}})
	}
	if sy, ok := s.cfg.Store.(store.Syncer); ok && !s.cfg.NoSync && len(ready) > 1 {
		if s.flushes.sync(func() error { return sy.SyncAll(r.ctx) }) == nil {
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
		s.obs.TransferStarted("2", dirUp)
		s.obs.TransferEnded("2", dirUp, "ok", 0)
		s.access(r, r.cmd, results[p.i].Key, results[p.i].Size, time.Since(r.start), "ok")
	}
	r.log.Info("batch stored", "files", n, "published", len(ready))
	r.reply(wire.PutSmallReply{Results: results}.Frames()...)
}

// getSmall sends a batch of small files: [key...]. Each file's data goes
// by sendfile on a plaintext connection; a larger file is answered
// "large", to be fetched on its own.
func (s *Server) getSmall(r *request) {
	m, err := wire.ParseKeys(wire.CmdGetSmall, r.args)
	if r.refused(err) {
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
	for _, k := range m.Keys {
		fail := func(msg string) {
			parts = append(parts, wire.SmallReplyParts(wire.SmallReplyFile{Err: msg}, zmtp.Part{})...)
		}
		key, msg := cleanKey(k)
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
		file := wire.FileInfo{Size: in.Size, MTime: in.ModTime.UnixNano(), Mode: uint32(in.Mode.Perm()), Sum: sum}
		parts = append(parts, wire.SmallReplyParts(wire.SmallReplyFile{File: file}, data)...)
		s.downloadsDone.Add(1)
		s.bytesDown.Add(in.Size)
		s.obs.TransferStarted("2", dirDown)
		s.obs.TransferEnded("2", dirDown, "ok", 0)
		s.access(r, r.cmd, in.Key, in.Size, time.Since(r.start), "ok")
	}
	if !s.wait(r, total) {
		return
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
