package mem

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Create implements store.Store.
func (s *Store) Create(_ context.Context, key string) (store.Upload, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	return &upload{s: s, key: k}, nil
}

// upload is a version being written, invisible until committed.
type upload struct {
	s   *Store
	key string

	mu   sync.Mutex
	data []byte
	done bool
}

// errFinished is a write to an upload already committed or aborted.
var errFinished = errors.New("store: upload already finished")

// WriteAt implements io.WriterAt; the store's capacity bounds it.
func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, errFinished
	}
	if off < 0 {
		return 0, fmt.Errorf("store: negative offset %d", off)
	}
	if end := off + int64(len(p)); end > int64(len(u.data)) {
		if err := u.s.grow(end - int64(len(u.data))); err != nil {
			return 0, err
		}
		u.data = append(u.data, make([]byte, end-int64(len(u.data)))...)
	}
	return copy(u.data[off:], p), nil
}

// ReadAt implements io.ReaderAt: what was written so far.
func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return readAt(u.data, p, off)
}

// Commit implements store.Upload.
func (u *upload) Commit(_ context.Context, opts store.CommitOptions) error {
	return u.finish(func(s *Store) error { return s.publish(u.key, u.data, opts) })
}

// Abort implements store.Upload.
func (u *upload) Abort() error {
	err := u.finish(func(*Store) error { return errAborted })
	if errors.Is(err, errAborted) || errors.Is(err, errFinished) {
		return nil // as the disk store: nothing to do after Commit, or twice
	}
	return err
}

// errAborted ends an upload that Abort drops.
var errAborted = errors.New("store: upload aborted")

// finish ends the upload once: publish (under the store's lock) either
// publishes its data or, failing, gives its octets back.
func (u *upload) finish(publish func(*Store) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return errFinished
	}
	u.done = true
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if err := publish(u.s); err != nil {
		u.s.used -= int64(len(u.data))
		u.data = nil
		return err
	}
	return nil
}
