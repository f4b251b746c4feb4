package s3

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/minio/minio-go/v7"
)

// A partial upload is a multipart upload of the key's object, shared by
// every server on the bucket: the octets written on this server are
// gathered in a spool file until a part is whole and recorded, then the
// part is sent (addressed by its offset: part k holds [(k-1)P, kP)) and
// its journal records are kept beside it as an object of their own, so
// that an upload interrupted here resumes on any server, this one
// restarted or another, with the parts already in the store. Publishing
// completes the multipart upload: readers see the old object or the new
// one. Octets of a part not yet sent live only in this server's spool
// and are lost with it (the client sends them again).
//
// Under PREFIX.flaxfile-partial/ID/ the store keeps "manifest" (the key,
// the multipart upload, the part size and the journal's header) and
// "j-NNNNN", the records of part NNNNN, written after the part and
// removed before the part is sent again. A part's records begin with the
// ETag of the part they describe: records whose part has another ETag
// in the store (sent again through another server since) count for
// nothing, and publishing checks each part's ETag against the records
// it counted, so that no server publishes a part it did not vouch for.

// Part sizes: at least minPart (S3 refuses parts under 5 MiB but the
// last), a multiple of partAlign (FlaxFile's block, so that no block
// straddles two parts), and few enough for maxParts.
const (
	minPart   = 8 << 20
	partAlign = 4 << 20
	maxParts  = 10000
)

// partSize is the part size of a file of size octets.
func partSize(size int64) int64 {
	p := int64(minPart)
	if need := (size + maxParts - 1) / maxParts; need > p {
		p = (need + partAlign - 1) / partAlign * partAlign
	}
	return p
}

// PartChunk implements store.PartChunker: the part size of files up to
// maxParts × minPart (78 GiB); larger ones go through the spool.
func (s *Store) PartChunk() int64 { return minPart }

// manifest is what the store keeps of a partial upload besides its parts.
type manifest struct {
	Key    string `json:"key"`
	Upload string `json:"upload"` // the multipart upload's id
	Part   int64  `json:"part"`
	Size   int64  `json:"size"`
	Header []byte `json:"header,omitempty"` // the journal's first append
}

// partialObject names an object of partial upload id.
func (s *Store) partialObject(id, name string) string {
	return s.prefix + store.PartialDir + "/" + id + "/" + name
}

// journalName is the object holding the records of part k.
func journalName(k int) string { return fmt.Sprintf("j-%05d", k) }

// spoolPath is this server's spool file of upload id.
func (s *Store) spoolPath(id string) string { return s.spool + "/" + id + ".part" }

// OpenPartial implements store.Partials.
func (s *Store) OpenPartial(ctx context.Context, key, id string, spec store.Spec) (store.Partial, bool, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, false, err
	}
	if !store.ValidUploadID(id) {
		return nil, false, fmt.Errorf("%w: upload id %q", store.ErrInvalidKey, id)
	}
	if spec.Size < 0 {
		return nil, false, fmt.Errorf("s3: a file of %d octets", spec.Size)
	}
	f, err := os.OpenFile(s.spoolPath(id), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("s3: spool: %w", err)
	}
	p := &partial{s: s, id: id, f: f, parts: map[int]*partState{}, known: map[int]string{}, local: map[int64]bool{}, written: map[int64][][2]int64{}}
	m, err := s.readManifest(ctx, id)
	switch {
	case err == nil && m.Key == k && m.Size == spec.Size:
		p.m = m
		if p.found, p.known, err = s.readJournals(ctx, m, id, nil); err == nil {
			return p, false, nil
		}
	case err == nil: // another file's: it is replaced
		err = s.abortPartial(ctx, id, m)
	case notFound(err):
		err = nil
	}
	if err != nil {
		f.Close()
		return nil, false, err
	}
	upload, err := s.core.NewMultipartUpload(ctx, s.bucket, s.object(k), minio.PutObjectOptions{
		UserMetadata: commitMeta(store.CommitOptions{ModTime: spec.ModTime, Mode: spec.Mode}), ContentType: "application/octet-stream"})
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("s3: starting an upload of %s: %w", k, err)
	}
	p.m = manifest{Key: k, Upload: upload, Part: partSize(spec.Size), Size: spec.Size}
	if err := s.writeManifest(ctx, id, p.m); err != nil {
		_ = s.core.AbortMultipartUpload(ctx, s.bucket, s.object(k), upload)
		f.Close()
		return nil, false, err
	}
	return p, true, nil
}

// readManifest reads partial upload id's manifest.
func (s *Store) readManifest(ctx context.Context, id string) (manifest, error) {
	b, err := s.readSmall(ctx, s.partialObject(id, "manifest"))
	if err != nil {
		return manifest{}, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Part < partAlign || m.Part%partAlign != 0 || m.Size < 0 || m.Size/m.Part >= maxParts {
		return manifest{}, fmt.Errorf("s3: the manifest of upload %s is damaged", id)
	}
	return m, nil
}

// writeManifest stores m as partial upload id's manifest.
func (s *Store) writeManifest(ctx context.Context, id string, m manifest) error {
	b, _ := json.Marshal(m)
	return s.putSmall(ctx, s.partialObject(id, "manifest"), b)
}

// maxSmall bounds the bookkeeping objects read whole (a manifest, the
// records of one part).
const maxSmall = 1 << 20

// readSmall reads a bookkeeping object whole, refusing one over maxSmall.
func (s *Store) readSmall(ctx context.Context, name string) ([]byte, error) {
	o, err := s.c.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o, maxSmall+1))
	if err == nil && len(b) > maxSmall {
		err = fmt.Errorf("s3: %s holds over %d octets", name, maxSmall)
	}
	return b, err
}

// putSmall writes a bookkeeping object.
func (s *Store) putSmall(ctx context.Context, name string, b []byte) error {
	_, err := s.c.PutObject(ctx, s.bucket, name, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("s3: writing %s: %w", name, err)
	}
	return nil
}

// storedParts lists the whole parts the store holds of upload m, by
// number and ETag (unquoted). A part sent twice is either replaced (S3)
// or listed twice (SeaweedFS keeps both, and completing the upload takes
// the one whose ETag it is given).
func (s *Store) storedParts(ctx context.Context, m manifest) (map[int]map[string]bool, error) {
	out := map[int]map[string]bool{}
	n := 0
	marker := 0
	for {
		r, err := s.core.ListObjectParts(ctx, s.bucket, s.object(m.Key), m.Upload, marker, 1000)
		if err != nil {
			return nil, fmt.Errorf("s3: listing the parts of %s: %w", m.Key, err)
		}
		for _, op := range r.ObjectParts {
			if op.Size != m.partLen(op.PartNumber) {
				continue
			}
			if out[op.PartNumber] == nil {
				out[op.PartNumber] = map[string]bool{}
			}
			out[op.PartNumber][plainETag(op.ETag)] = true
			n++
		}
		if !r.IsTruncated || r.NextPartNumberMarker <= marker || n > 2*maxParts {
			return out, nil
		}
		marker = r.NextPartNumberMarker
	}
}

// readJournals gathers the records of the parts the store holds whole,
// but those skip names, and returns them with the ETag of each part
// they describe. Records of another ETag than the part's are left out.
func (s *Store) readJournals(ctx context.Context, m manifest, id string, skip func(k int) bool) ([]byte, map[int]string, error) {
	parts, err := s.storedParts(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	var ks []int
	for _, k := range slices.Sorted(maps.Keys(parts)) {
		if skip == nil || !skip(k) {
			ks = append(ks, k)
		}
	}
	recs := make([][]byte, len(ks))
	etags := make([]string, len(ks))
	errs := make([]error, len(ks))
	sem := make(chan struct{}, 16) // requests at once
	var wg sync.WaitGroup
	for i, k := range ks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			b, err := s.readSmall(ctx, s.partialObject(id, journalName(k)))
			switch {
			case notFound(err): // sent, but its records were not kept: sent again
			case err != nil:
				errs[i] = err
			default:
				if etag, rec, ok := bytes.Cut(b, []byte("\n")); ok && parts[k][string(etag)] {
					recs[i], etags[i] = rec, string(etag)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	var out []byte
	known := map[int]string{}
	for i, k := range ks {
		if recs[i] != nil {
			out = append(out, recs[i]...)
			known[k] = etags[i]
		}
	}
	return out, known, nil
}

// plainETag is an ETag without the quotes some stores put around it.
func plainETag(e string) string { return strings.Trim(e, `"`) }

// parts is how many parts the file has (one, empty, for an empty file).
func (m manifest) parts() int { return int(max(1, (m.Size+m.Part-1)/m.Part)) }

// partLen is the length of part k (from 1).
func (m manifest) partLen(k int) int64 {
	lo := int64(k-1) * m.Part
	return max(0, min(lo+m.Part, m.Size)-lo)
}

// partial is a multipart upload being written through this server.
type partial struct {
	s  *Store
	id string
	m  manifest
	f  *os.File // the spool: octets written here

	mu      sync.Mutex
	found   []byte               // records of the parts in the store at open
	known   map[int]string       // parts other servers sent and recorded, by number: their ETags
	parts   map[int]*partState   // parts written or recorded here
	local   map[int64]bool       // blocks (by offset) written whole here
	written map[int64][][2]int64 // of other blocks, the runs written here
	closed  bool
}

// partState is what this server knows of one part.
type partState struct {
	recs   map[int64]span // records by the offset of what they cover
	gen    int            // writes into the part so far
	sent   bool           // the store holds it as recorded here
	direct int            // the gen at which writePart sent it whole (0: none)
	etag   string         // the ETag of the part last sent here (at gen)
}

// span is one journal append: the octets it covers and its records.
type span struct {
	n   int64
	rec []byte
}

// partOf returns the number of the part holding octet off.
func (p *partial) partOf(off int64) int { return int(off/p.m.Part) + 1 }

// state returns part k's state, made if need be; p.mu is held.
func (p *partial) state(k int) *partState {
	st := p.parts[k]
	if st == nil {
		st = &partState{recs: map[int64]span{}}
		p.parts[k] = st
	}
	return st
}

// WriteAt implements store.Upload: a write of exactly one part is sent
// as that part at once; others go into the spool. A part sent before
// stops counting as sent, and its records are removed from the store
// first, so that no server resumes from records its octets no longer
// match.
func (p *partial) WriteAt(b []byte, off int64) (int, error) {
	end := off + int64(len(b))
	if off < 0 || end > p.m.Size {
		return 0, fmt.Errorf("s3: a write at [%d, %d) of a %d-octet file", off, end, p.m.Size)
	}
	if k := p.partOf(off); len(b) > 0 && off == int64(k-1)*p.m.Part && int64(len(b)) == p.m.partLen(k) {
		return p.writePart(k, b)
	}
	var stale []int
	p.mu.Lock()
	for k := p.partOf(off); len(b) > 0 && int64(k-1)*p.m.Part < end; k++ {
		st := p.state(k)
		st.gen++
		if _, ok := p.known[k]; st.sent || ok {
			st.sent = false
			delete(p.known, k)
			stale = append(stale, k)
		}
		for o, sp := range st.recs {
			if o < end && off < o+sp.n {
				delete(st.recs, o)
			}
		}
	}
	for lo := off / partAlign * partAlign; lo < end; lo += partAlign {
		p.cover(lo, max(lo, off), min(lo+partAlign, end))
	}
	p.mu.Unlock()
	for _, k := range stale {
		if err := p.forget(k); err != nil {
			return 0, err
		}
	}
	return p.f.WriteAt(b, off)
}

// forget removes the records of part k from the store, before the part
// is written again.
func (p *partial) forget(k int) error {
	ctx, cancel := p.s.opContext()
	defer cancel()
	if err := p.s.c.RemoveObject(ctx, p.s.bucket, p.s.partialObject(p.id, journalName(k)), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3: forgetting part %d of %s: %w", k, p.m.Key, err)
	}
	return nil
}

// writePart sends b as part k, bypassing the spool: the part counts as
// sent once its records come (AppendJournalFor); its octets cannot be
// read back here.
func (p *partial) writePart(k int, b []byte) (int, error) {
	p.mu.Lock()
	st := p.state(k)
	st.gen++
	stale := st.sent
	st.sent = false
	clear(st.recs)
	lo := int64(k-1) * p.m.Part
	for blk := lo; blk < lo+int64(len(b)); blk += partAlign {
		delete(p.local, blk)
		delete(p.written, blk)
	}
	gen := st.gen
	if _, ok := p.known[k]; ok {
		stale = true
		delete(p.known, k)
	}
	p.mu.Unlock()
	if stale {
		if err := p.forget(k); err != nil {
			return 0, err
		}
	}
	etag, err := p.putPart(k, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	if st.gen == gen {
		st.direct, st.etag = gen, etag
	}
	p.mu.Unlock()
	return len(b), nil
}

// cover notes that [from, to) of the block at lo is written here; p.mu
// is held. A block is local once all of it is.
func (p *partial) cover(lo, from, to int64) {
	if p.local[lo] {
		return
	}
	w := append(p.written[lo], [2]int64{from, to})
	slices.SortFunc(w, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	merged := w[:1]
	for _, iv := range w[1:] {
		if last := &merged[len(merged)-1]; iv[0] <= last[1] {
			last[1] = max(last[1], iv[1])
		} else {
			merged = append(merged, iv)
		}
	}
	if len(merged) == 1 && merged[0][0] == lo && merged[0][1] >= min(lo+partAlign, p.m.Size) {
		p.local[lo] = true
		delete(p.written, lo)
		return
	}
	p.written[lo] = merged
}

// ReadAt implements store.Upload: octets written here. Those of parts
// another server sent cannot be read back before the file is published.
func (p *partial) ReadAt(b []byte, off int64) (int, error) {
	end := off + int64(len(b))
	p.mu.Lock()
	for lo := off / partAlign * partAlign; lo < end; lo += partAlign {
		if !p.local[lo] {
			p.mu.Unlock()
			return 0, fmt.Errorf("s3: octets at %d of the upload of %s are in the store's parts, unreadable until it is published", lo, p.m.Key)
		}
	}
	p.mu.Unlock()
	return p.f.ReadAt(b, off)
}

// ConcurrentWrites implements store.ConcurrentWriter: writes take their
// own lock, and a whole part's is a request to the store.
func (p *partial) ConcurrentWrites() bool { return true }

// Vouched implements store.Vouched: the records Journal returns are of
// parts the store holds whole.
func (p *partial) Vouched() bool { return true }

// Journal implements store.Partial: the header, then the records of the
// parts the store held when the upload was opened.
func (p *partial) Journal() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(slices.Clip(p.m.Header), p.found...), nil
}

// AppendJournal implements store.Partial for the journal's header (block
// records go by AppendJournalFor).
func (p *partial) AppendJournal(rec []byte) error {
	p.mu.Lock()
	if p.m.Header != nil {
		p.mu.Unlock()
		return errors.New("s3: a journal record without the octets it covers")
	}
	p.m.Header = slices.Clone(rec)
	m := p.m
	p.mu.Unlock()
	ctx, cancel := p.s.opContext()
	defer cancel()
	return p.s.writeManifest(ctx, p.id, m)
}

// AppendJournalFor implements store.RangeJournal: once every octet of a
// part is written here and recorded, the part is sent and then its
// records.
func (p *partial) AppendJournalFor(rec []byte, off, n int64) error {
	if off < 0 || n < 0 || off+n > p.m.Size {
		return fmt.Errorf("s3: records of [%d, %d) in a %d-octet file", off, off+n, p.m.Size)
	}
	if n == 0 {
		return nil
	}
	k := p.partOf(off)
	if p.partOf(off+n-1) != k {
		return fmt.Errorf("s3: records of [%d, %d) straddle parts of %d octets", off, off+n, p.m.Part)
	}
	p.mu.Lock()
	st := p.state(k)
	st.recs[off] = span{n: n, rec: slices.Clone(rec)}
	gen := st.gen
	sent := st.direct == gen && p.recorded(k, st)
	whole := sent || p.whole(k, st)
	var recs []byte
	for _, o := range slices.Sorted(maps.Keys(st.recs)) {
		recs = append(recs, st.recs[o].rec...)
	}
	p.mu.Unlock()
	if !whole {
		return nil
	}
	if sent {
		return p.keepRecords(k, gen, recs)
	}
	return p.send(k, gen, recs)
}

// recorded reports whether every octet of part k is recorded; p.mu is
// held.
func (p *partial) recorded(k int, st *partState) bool {
	var got int64
	for _, sp := range st.recs {
		got += sp.n
	}
	return got == p.m.partLen(k)
}

// whole reports whether part k is written here and recorded throughout;
// p.mu is held.
func (p *partial) whole(k int, st *partState) bool {
	lo, n := int64(k-1)*p.m.Part, p.m.partLen(k)
	if !p.recorded(k, st) {
		return false
	}
	for b := lo; b < lo+n; b += partAlign {
		if !p.local[b] {
			return false
		}
	}
	return true
}

// send sends part k from the spool, then its records, unless the part was
// written again meanwhile (gen).
func (p *partial) send(k, gen int, recs []byte) error {
	lo, n := int64(k-1)*p.m.Part, p.m.partLen(k)
	etag, err := p.putPart(k, io.NewSectionReader(p.f, lo, n), n)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if st := p.parts[k]; st.gen == gen {
		st.etag = etag
	}
	p.mu.Unlock()
	return p.keepRecords(k, gen, recs)
}

// putPart sends n octets read from r as part k (r seekable, for
// minio-go's retries), and returns its ETag.
func (p *partial) putPart(k int, r io.Reader, n int64) (string, error) {
	ctx, cancel := p.s.opContext()
	defer cancel()
	op, err := p.s.core.PutObjectPart(ctx, p.s.bucket, p.s.object(p.m.Key), p.m.Upload, k, r, n, minio.PutObjectPartOptions{})
	if err != nil {
		return "", fmt.Errorf("s3: sending part %d of %s: %w", k, p.m.Key, err)
	}
	return plainETag(op.ETag), nil
}

// keepRecords stores the records of part k, sent at gen, unless it was
// written again since.
func (p *partial) keepRecords(k, gen int, recs []byte) error {
	p.mu.Lock()
	current := p.parts[k].gen == gen
	etag := p.parts[k].etag
	p.mu.Unlock()
	if !current {
		return nil
	}
	ctx, cancel := p.s.opContext()
	defer cancel()
	body := append([]byte(etag+"\n"), recs...)
	if err := p.s.putSmall(ctx, p.s.partialObject(p.id, journalName(k)), body); err != nil {
		return err
	}
	p.mu.Lock()
	if st := p.parts[k]; st.gen == gen {
		st.sent = true
	}
	p.mu.Unlock()
	return nil
}

// Commit implements store.Upload: the multipart upload is completed from
// the parts the store holds (every one, of its length, or it fails), and
// the time, mode and metadata set.
func (p *partial) Commit(ctx context.Context, opts store.CommitOptions) error {
	if len(opts.Meta) > store.MaxMeta {
		return fmt.Errorf("s3: metadata of %d octets (at most %d)", len(opts.Meta), store.MaxMeta)
	}
	m := p.m
	if m.Size == 0 { // no parts to complete: an empty object
		if err := p.s.send(ctx, m.Key, bytes.NewReader(nil), 0, opts); err != nil {
			return err
		}
		return p.Abort()
	}
	have, err := p.s.storedParts(ctx, m)
	if err != nil {
		return err
	}
	done := make([]minio.CompletePart, 0, m.parts())
	for k := 1; k <= m.parts(); k++ {
		if len(have[k]) == 0 {
			return fmt.Errorf("s3: part %d of the upload of %s is not in the store", k, m.Key)
		}
		want := p.vouched(k)
		if want == "" || !have[k][want] {
			// Replaced through another server since its records were
			// read here, or not sent whole from here: the upload, opened
			// again, reads the records the store holds now.
			return fmt.Errorf("s3: part %d of the upload of %s is not the one recorded; send it again", k, m.Key)
		}
		done = append(done, minio.CompletePart{PartNumber: k, ETag: want})
	}
	info, err := p.s.core.CompleteMultipartUpload(ctx, p.s.bucket, p.s.object(m.Key), m.Upload, done, minio.PutObjectOptions{})
	if err != nil {
		return fmt.Errorf("s3: publishing %s: %w", m.Key, err)
	}
	if err := p.s.setMeta(ctx, m.Key, info.ETag, opts); err != nil {
		return err
	}
	p.cleanup(ctx, m)
	return nil
}

// vouched returns the ETag of part k that the records counted here
// describe: the part sent here, or (if nothing was written into it here)
// the one another server recorded; "" when neither.
func (p *partial) vouched(k int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.parts[k]; st != nil && st.gen > 0 {
		if st.sent {
			return st.etag
		}
		return ""
	}
	return p.known[k]
}

// Refresh implements store.Refresher: the records of the parts other
// servers have sent and recorded since this partial last looked, but
// for those written here.
func (p *partial) Refresh(ctx context.Context) ([]byte, error) {
	skip := func(k int) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		_, ok := p.known[k]
		st := p.parts[k]
		return ok || st != nil && st.gen > 0
	}
	recs, known, err := p.s.readJournals(ctx, p.m, p.id, skip)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, etag := range known {
		if st := p.parts[k]; st == nil || st.gen == 0 {
			p.known[k] = etag
		}
	}
	return recs, nil
}

// Live implements store.Refresher: the store still holds this upload's
// manifest, naming the same multipart upload.
func (p *partial) Live(ctx context.Context) (bool, error) {
	m, err := p.s.readManifest(ctx, p.id)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return m.Upload == p.m.Upload, nil
}

// Abort implements store.Upload: the multipart upload and its records are
// removed, and the spool.
func (p *partial) Abort() error {
	ctx, cancel := p.s.opContext()
	defer cancel()
	err := p.s.abortPartial(ctx, p.id, p.m)
	return errors.Join(err, p.Close())
}

// cleanup removes the records and the spool of a published upload.
func (p *partial) cleanup(ctx context.Context, m manifest) {
	_ = p.s.removePartialObjects(ctx, p.id)
	_ = p.Close()
}

// Close implements store.Partial: the spool goes (octets of parts not
// sent are lost); what the store holds stays for a later OpenPartial.
func (p *partial) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.f.Close()
	if e := os.Remove(p.f.Name()); e != nil && !os.IsNotExist(e) {
		err = errors.Join(err, e)
	}
	return err
}

// abortPartial ends upload m and removes partial upload id's objects.
func (s *Store) abortPartial(ctx context.Context, id string, m manifest) error {
	err := s.core.AbortMultipartUpload(ctx, s.bucket, s.object(m.Key), m.Upload)
	if err != nil && !notFound(err) && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return fmt.Errorf("s3: ending the upload of %s: %w", m.Key, err)
	}
	return s.removePartialObjects(ctx, id)
}

// removePartialObjects removes every object of partial upload id.
func (s *Store) removePartialObjects(ctx context.Context, id string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objs := s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.partialObject(id, ""), Recursive: true})
	var err error
	for e := range s.c.RemoveObjects(ctx, s.bucket, objs, minio.RemoveObjectsOptions{}) {
		err = errors.Join(err, fmt.Errorf("s3: removing %s: %w", e.ObjectName, e.Err))
	}
	return err
}

// ExpirePartials implements store.Partials: uploads whose newest object
// is older than age are ended and removed.
func (s *Store) ExpirePartials(ctx context.Context, age time.Duration, inUse func(id string) bool) (int, error) {
	newest := map[string]time.Time{}
	root := s.prefix + store.PartialDir + "/"
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: root, Recursive: true}) {
		if oi.Err != nil {
			return 0, fmt.Errorf("s3: listing %s: %w", root, oi.Err)
		}
		id, _, _ := strings.Cut(oi.Key[len(root):], "/")
		if store.ValidUploadID(id) && oi.LastModified.After(newest[id]) {
			newest[id] = oi.LastModified
		}
	}
	n := 0
	for id, t := range newest {
		if time.Since(t) < age || (inUse != nil && inUse(id)) {
			continue
		}
		m, err := s.readManifest(ctx, id)
		if err == nil {
			err = s.abortPartial(ctx, id, m)
		} else {
			err = s.removePartialObjects(ctx, id)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}

// ListPartials implements store.PartialAdmin: the uploads with a
// manifest, with the octets of the parts the store holds, oldest first.
func (s *Store) ListPartials(ctx context.Context) ([]store.PartialInfo, error) {
	root := s.prefix + store.PartialDir + "/"
	newest := map[string]time.Time{}
	var ids []string
	for oi := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: root, Recursive: true}) {
		if oi.Err != nil {
			return nil, fmt.Errorf("s3: listing %s: %w", root, oi.Err)
		}
		id, name, _ := strings.Cut(oi.Key[len(root):], "/")
		if !store.ValidUploadID(id) {
			continue
		}
		if name == "manifest" {
			ids = append(ids, id)
		}
		if oi.LastModified.After(newest[id]) {
			newest[id] = oi.LastModified
		}
	}
	var out []store.PartialInfo
	for _, id := range ids {
		m, err := s.readManifest(ctx, id)
		if err != nil {
			continue
		}
		p := store.PartialInfo{ID: id, Key: m.Key, Size: m.Size, ModTime: newest[id]}
		if parts, err := s.storedParts(ctx, m); err == nil {
			for k := range parts {
				p.Held += m.partLen(k)
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b store.PartialInfo) int { return a.ModTime.Compare(b.ModTime) })
	return out, nil
}

// RemovePartial implements store.PartialAdmin: the multipart upload is
// ended and its records removed.
func (s *Store) RemovePartial(ctx context.Context, id string) error {
	if !store.ValidUploadID(id) {
		return fmt.Errorf("%w: upload id %q", store.ErrInvalidKey, id)
	}
	m, err := s.readManifest(ctx, id)
	if err != nil {
		return s.removePartialObjects(ctx, id)
	}
	return s.abortPartial(ctx, id, m)
}
