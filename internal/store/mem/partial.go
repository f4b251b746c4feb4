package mem

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// partial is a resumable upload kept between OpenPartial calls.
type partial struct {
	up      *upload
	journal []byte
	touched time.Time
}

// OpenPartial implements store.Partials.
func (s *Store) OpenPartial(_ context.Context, key, id string, _ store.Spec) (store.Partial, bool, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, false, err
	}
	if !store.ValidUploadID(id) {
		return nil, false, fmt.Errorf("%w: upload id %q", store.ErrInvalidKey, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.partials[id]
	fresh := p == nil
	if fresh {
		p = &partial{up: &upload{s: s}}
		s.partials[id] = p
	}
	p.up.key = k
	p.touched = time.Now()
	return &openPartial{s: s, id: id, p: p}, fresh, nil
}

// openPartial is one OpenPartial's handle on a partial upload.
type openPartial struct {
	s  *Store
	id string
	p  *partial
}

// WriteAt implements io.WriterAt.
func (o *openPartial) WriteAt(b []byte, off int64) (int, error) {
	o.touch()
	return o.p.up.WriteAt(b, off)
}

// ReadAt implements io.ReaderAt.
func (o *openPartial) ReadAt(b []byte, off int64) (int, error) { return o.p.up.ReadAt(b, off) }

// touch keeps the partial from expiring while it is written.
func (o *openPartial) touch() {
	o.s.mu.Lock()
	o.p.touched = time.Now()
	o.s.mu.Unlock()
}

// Journal implements store.Partial.
func (o *openPartial) Journal() ([]byte, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return slices.Clone(o.p.journal), nil
}

// AppendJournal implements store.Partial.
func (o *openPartial) AppendJournal(rec []byte) error {
	if err := o.s.grow(int64(len(rec))); err != nil {
		return err
	}
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	o.p.journal = append(o.p.journal, rec...)
	o.p.touched = time.Now()
	return nil
}

// forget drops the partial and its journal's octets.
func (o *openPartial) forget() {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	if o.s.partials[o.id] == o.p {
		delete(o.s.partials, o.id)
		o.s.used -= int64(len(o.p.journal))
	}
}

// Commit implements store.Upload: it publishes and ends the partial.
func (o *openPartial) Commit(ctx context.Context, opts store.CommitOptions) error {
	o.forget()
	return o.p.up.Commit(ctx, opts)
}

// Abort implements store.Upload: the partial is gone.
func (o *openPartial) Abort() error {
	o.forget()
	return o.p.up.Abort()
}

// Close implements store.Partial: the partial stays for a later open.
func (o *openPartial) Close() error { return nil }

// ExpirePartials implements store.Partials.
func (s *Store) ExpirePartials(_ context.Context, age time.Duration, inUse func(id string) bool) (int, error) {
	s.mu.Lock()
	var old []string
	cut := time.Now().Add(-age)
	for id, p := range s.partials {
		if p.touched.Before(cut) {
			old = append(old, id)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, id := range old {
		if inUse != nil && inUse(id) {
			continue
		}
		s.mu.Lock()
		p := s.partials[id]
		s.mu.Unlock()
		if p != nil {
			(&openPartial{s: s, id: id, p: p}).Abort()
			n++
		}
	}
	return n, nil
}
