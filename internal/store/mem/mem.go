// Package mem is a store.Store in memory: for tests, and for throwaway
// servers (serve --storage mem:). It keeps everything the disk store
// keeps (versions, modes, times, metadata, resumable partial uploads)
// until the process ends, within a capacity it reports as free space.
package mem

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/pathorder"
	"github.com/flaxfile/flaxfile/internal/store"
)

// DefaultCapacity bounds what a Store holds when New is given zero.
const DefaultCapacity = 1 << 30

// ErrFull is a write that the store's capacity cannot hold.
var ErrFull = errors.New("mem: store is full")

// Store is an in-memory store.
type Store struct {
	capacity int64

	mu       sync.Mutex
	files    map[string]*version
	partials map[string]*partial
	used     int64 // octets held by versions, uploads and partials
}

// version is one committed file; its data never changes once published.
type version struct {
	data []byte
	info store.Info
}

// New returns an empty store that holds at most capacity octets (zero:
// DefaultCapacity).
func New(capacity int64) *Store {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Store{capacity: capacity, files: map[string]*version{}, partials: map[string]*partial{}}
}

// isDir reports that some file lies below k; the caller holds s.mu.
func (s *Store) isDir(k string) bool {
	for name := range s.files {
		if strings.HasPrefix(name, k+"/") {
			return true
		}
	}
	return false
}

// Stat implements store.Store.
func (s *Store) Stat(_ context.Context, key string) (store.Info, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return store.Info{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.files[k]; v != nil {
		return v.info, nil
	}
	if s.isDir(k) {
		return store.Info{Key: k, Dir: true, Mode: 0o755}, nil
	}
	return store.Info{}, fmt.Errorf("%w: %s", store.ErrNotFound, k)
}

// Open implements store.Store.
func (s *Store) Open(_ context.Context, key string) (store.Object, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.files[k]; v != nil {
		return &object{s: s, v: v}, nil
	}
	if s.isDir(k) {
		return nil, fmt.Errorf("%w: %s", store.ErrIsDir, k)
	}
	return nil, fmt.Errorf("%w: %s", store.ErrNotFound, k)
}

// Delete implements store.Store.
func (s *Store) Delete(_ context.Context, key string) error {
	k, err := store.FileKey(key)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for name, v := range s.files {
		if name == k || strings.HasPrefix(name, k+"/") {
			s.used -= int64(len(v.data))
			delete(s.files, name)
			found = true
		}
	}
	if !found {
		return fmt.Errorf("%w: %s", store.ErrNotFound, k)
	}
	return nil
}

// List implements store.Store, in the order of a directory walk.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	p, err := store.CleanKey(prefix)
	if err != nil {
		return nil // as the disk store: nothing under a prefix it cannot use
	}
	s.mu.Lock()
	var out []store.Info
	for name, v := range s.files {
		if p == "" || strings.HasPrefix(name, p+"/") {
			out = append(out, v.info)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b store.Info) int { return pathorder.Compare(a.Key, b.Key) })
	for _, in := range out {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

// Free implements store.Spacer: the capacity not yet used.
func (s *Store) Free(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capacity - s.used, nil
}

// Close implements store.Store; the contents are dropped.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files, s.partials, s.used = map[string]*version{}, map[string]*partial{}, 0
	return nil
}

// grow accounts for n more octets held, refusing what does not fit.
func (s *Store) grow(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > s.capacity-s.used {
		return ErrFull
	}
	s.used += n
	return nil
}

// publish makes data the current version of k; the caller holds s.mu.
func (s *Store) publish(k string, data []byte, opts store.CommitOptions) error {
	if len(opts.Meta) > store.MaxMeta {
		return fmt.Errorf("store: %d octets of metadata, at most %d", len(opts.Meta), store.MaxMeta)
	}
	if s.isDir(k) {
		return fmt.Errorf("%w: %s", store.ErrIsDir, k)
	}
	for dir := k; ; {
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			break
		}
		dir = dir[:i]
		if s.files[dir] != nil {
			return fmt.Errorf("store: %s: %s is a file", k, dir)
		}
	}
	in := store.Info{Key: k, Size: int64(len(data)), ModTime: time.Now(), Mode: 0o644}
	if !opts.ModTime.IsZero() {
		in.ModTime = opts.ModTime
	}
	if opts.Mode != 0 {
		in.Mode = opts.Mode & os.ModePerm
	}
	if opts.Meta != nil {
		in.Meta = slices.Clone(opts.Meta)
	}
	if old := s.files[k]; old != nil {
		s.used -= int64(len(old.data))
	}
	s.files[k] = &version{data: data, info: in}
	return nil
}
