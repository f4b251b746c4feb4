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

// getSmall sends a batch of small files: [key...]. Files up to inlineMax
// are read into one buffer (taken from the memory budget) and go out with
// the reply in one write; larger ones by sendfile on a plaintext
// connection (a small file's sendfile and header write cost two socket
// writes each, which for 4 KiB files was most of a pull's server time); a
// file over MaxSmallFile is answered "large", to be fetched on its own.
func (s *Server) getSmall(r *request) {
	m, err := wire.ParseKeys(wire.CmdGetSmall, r.args)
	if r.refused(err) {
		return
	}
	out := make([]smallOut, len(m.Keys))
	defer func() {
		for _, o := range out {
			if o.obj != nil {
				o.obj.Close()
			}
		}
	}()
	var total, inline int64
	for i, k := range m.Keys {
		key, msg := cleanKey(k)
		if msg != "" {
			out[i].msg = msg
			continue
		}
		obj, err := s.cfg.Store.Open(r.ctx, key)
		if err != nil {
			out[i].msg = downloadError(key, err)
			continue
		}
		out[i].obj = obj
		in := obj.Info()
		switch {
		case in.Size > wire.MaxSmallFile:
			out[i].msg = wire.SmallLarge
			continue
		case total+in.Size > wire.MaxSmallReply:
			out[i].msg = wire.SmallLater
			continue
		}
		sum, err := fileHash(obj, hashBlocks)
		if err != nil {
			out[i].msg = fmt.Sprintf("read error: %v", err)
			continue
		}
		total += in.Size
		if inlined(obj, in.Size) {
			inline += in.Size
		}
		out[i].file = wire.FileInfo{Size: in.Size, MTime: in.ModTime.UnixNano(), Mode: uint32(in.Mode.Perm()), Sum: sum}
	}
	if !s.wait(r, total) {
		return
	}
	var buf []byte
	if inline > 0 {
		b, release, err := s.buffer(r, inline)
		if err != nil {
			r.fail(err.Error())
			return
		}
		defer release()
		buf = b[:0]
	}
	parts := []zmtp.Part{{Data: []byte(wire.ReplyOK)}}
	for _, o := range out {
		if o.msg == "" {
			var data zmtp.Part
			data, buf, o.msg = smallData(o.obj, o.file.Size, buf)
			if o.msg == "" {
				parts = append(parts, wire.SmallReplyParts(wire.SmallReplyFile{File: o.file}, data)...)
				s.downloadsDone.Add(1)
				s.bytesDown.Add(o.file.Size)
				s.obs.TransferStarted("2", dirDown)
				s.obs.TransferEnded("2", dirDown, "ok", 0)
				s.access(r, r.cmd, o.obj.Info().Key, o.file.Size, time.Since(r.start), "ok")
				continue
			}
		}
		parts = append(parts, wire.SmallReplyParts(wire.SmallReplyFile{Err: o.msg}, zmtp.Part{})...)
	}
	r.replyParts(parts...)
}

// inlineMax is the largest file a GET_SMALL reply carries from memory
// rather than by sendfile.
const inlineMax = 64 << 10

// smallOut is one file of a GET_SMALL: a refusal, or its opened version
// and what the reply says of it.
type smallOut struct {
	msg  string
	obj  store.Object
	file wire.FileInfo
}

// inlined reports whether a small file of size octets goes from memory:
// up to inlineMax, or when the store has no file to send it from.
func inlined(obj store.Object, size int64) bool { return size <= inlineMax || fileOf(obj) == nil }

// smallData is a small file's content as a reply frame: appended to buf
// (which has room: getSmall counted every such file) when it is small or
// the store has no file to send from, else sent from the file by
// sendfile. A read error is a refusal for that file alone.
func smallData(obj store.Object, size int64, buf []byte) (zmtp.Part, []byte, string) {
	if !inlined(obj, size) {
		return zmtp.Part{File: fileOf(obj), Offset: 0, Len: size}, buf, ""
	}
	start := len(buf)
	b := buf[start : start+int(size)]
	if m, err := obj.ReadAt(b, 0); int64(m) < size {
		return zmtp.Part{}, buf, fmt.Sprintf("read error: %v", err)
	}
	return zmtp.Part{Data: b}, buf[:start+int(size)], ""
}
