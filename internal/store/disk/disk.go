package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/tmpname"
	"github.com/flaxfile/flaxfile/internal/umask"
)

// Store is a Store in a directory. Every operation goes through an os.Root,
// so no key, and no symbolic link inside the directory, can reach outside
// it.
type Store struct {
	root  *os.Root
	fast  *beneath // nil where openat2 is missing
	umask fs.FileMode
	dirs  sync.Map // directories known to exist, so commits skip MkdirAll
}

// mkdirs makes dir (a key's directory) unless it is known to exist, or
// always with again.
func (d *Store) mkdirs(dir string, again bool) error {
	if dir == "." {
		return nil
	}
	if _, ok := d.dirs.Load(dir); ok && !again {
		return nil
	}
	if err := d.noLinks(dir); err != nil {
		return err
	}
	if err := d.root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d.dirs.Store(dir, true)
	return nil
}

// noLinks refuses a key directory reached through a symbolic link: even
// one that stays inside the store could lead a commit into store.PartialDir or
// another key's place, so files are only ever written along real
// directories.
func (d *Store) noLinks(dir string) error {
	for p := dir; p != "." && p != "/"; p = path.Dir(p) {
		fi, err := d.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // made by MkdirAll, as a real directory
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symbolic link", store.ErrInvalidKey, p)
		}
	}
	return nil
}

// Open opens (creating it if needed) the directory dir as a store, and
// clears uploads left uncommitted by an earlier process, except the
// resumable ones (see OpenPartial), which expire by age.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if err := root.Mkdir(store.PartialDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		root.Close()
		return nil, err
	}
	entries, err := fs.ReadDir(root.FS(), store.PartialDir)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("store: reading partial uploads: %w", err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), partialPrefix) || e.IsDir() {
			if err := root.RemoveAll(path.Join(store.PartialDir, e.Name())); err != nil {
				root.Close()
				return nil, fmt.Errorf("store: clearing partial uploads: %w", err)
			}
		}
	}
	return &Store{root: root, fast: openBeneath(dir), umask: umask.Get()}, nil
}

// Dir returns the directory the store lives in.
func (d *Store) Dir() string { return d.root.Name() }

// Close implements Store.
func (d *Store) Close() error {
	if d.fast != nil {
		d.fast.close()
	}
	return d.root.Close()
}

// mapErr turns file-system errors into the store's sentinels.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%w: %v", store.ErrIsDir, err)
	case strings.Contains(err.Error(), "path escapes from parent"):
		return fmt.Errorf("%w: %v", store.ErrInvalidKey, err)
	}
	return err
}

func info(key string, fi fs.FileInfo) store.Info {
	return store.Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), Mode: fi.Mode().Perm(), Dir: fi.IsDir()}
}

// Stat implements Store.
func (d *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return store.Info{}, err
	}
	fi, err := d.root.Stat(k)
	if err != nil {
		return store.Info{}, mapErr(err)
	}
	return info(k, fi), nil
}

// openRead opens a cleaned key for reading, by the fast path if there is
// one.
func (d *Store) openRead(k string) (*os.File, error) {
	if d.fast != nil {
		return d.fast.openRead(k)
	}
	return d.root.Open(k)
}

// Open implements Store.
func (d *Store) Open(ctx context.Context, key string) (store.Object, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	f, err := d.openRead(k)
	if err != nil {
		return nil, mapErr(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%w: %s", store.ErrIsDir, k)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", store.ErrNotFound, k)
	}
	in := info(k, fi)
	in.Meta = readMeta(f)
	return &diskObject{f: f, info: in}, nil
}

type diskObject struct {
	f    *os.File
	info store.Info
}

func (o *diskObject) ReadAt(p []byte, off int64) (int, error) { return o.f.ReadAt(p, off) }
func (o *diskObject) Close() error                            { return o.f.Close() }
func (o *diskObject) Info() store.Info                        { return o.info }
func (o *diskObject) File() *os.File                          { return o.f }

// SetMeta records meta on the version o is open on (store.MetaSetter).
func (o *diskObject) SetMeta(meta []byte) error { return writeMeta(o.f, meta) }

// Sums implements store.SumsKeeper.
func (o *diskObject) Sums() []byte { return readSums(o.f) }

// ForgetSums implements store.SumsKeeper.
func (o *diskObject) ForgetSums() error { return removeSums(o.f) }

// Create implements Store: the upload is a file under store.PartialDir, renamed
// over the key by Commit.
func (d *Store) Create(ctx context.Context, key string) (store.Upload, error) {
	k, err := store.FileKey(key)
	if err != nil {
		return nil, err
	}
	if d.fast != nil {
		if f, a, ok := d.createAnon(k); ok {
			return &diskUpload{d: d, key: k, f: f, anon: a}, nil
		}
		f, tmp, err := d.fast.createTemp()
		if err != nil {
			return nil, err
		}
		return &diskUpload{d: d, key: k, tmp: tmp, f: f}, nil
	}
	tmp := path.Join(store.PartialDir, tmpname.Next())
	f, err := d.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &diskUpload{d: d, key: k, tmp: tmp, f: f}, nil
}

type diskUpload struct {
	d    *Store
	key  string
	tmp  string // a named temporary file, when anon is nil
	f    *os.File
	anon *anonFile // an unnamed file, linked in by Commit
	done bool
}

func (u *diskUpload) WriteAt(p []byte, off int64) (int, error) { return u.f.WriteAt(p, off) }
func (u *diskUpload) ReadAt(p []byte, off int64) (int, error)  { return u.f.ReadAt(p, off) }

func (u *diskUpload) Commit(ctx context.Context, opts store.CommitOptions) error {
	if u.done {
		return errors.New("store: upload already finished")
	}
	fail := func(err error) error {
		_ = u.Abort()
		return mapErr(err)
	}
	if !opts.NoSync {
		if err := u.f.Sync(); err != nil {
			return fail(err)
		}
	}
	if opts.Meta != nil {
		if len(opts.Meta) > store.MaxMeta {
			return fail(fmt.Errorf("store: %d octets of metadata, at most %d", len(opts.Meta), store.MaxMeta))
		}
		if err := writeMeta(u.f, opts.Meta); err != nil {
			return fail(err)
		}
	}
	if opts.Sums != nil && len(opts.Sums) <= store.MaxSums {
		writeSums(u.f, opts.Sums)
	}
	fi, statErr := u.f.Stat()
	retire := statErr == nil && fi.Size() >= retireLateMin
	// After the metadata: a read-only mode would forbid writing it. The
	// file was created 0644 less the umask, which most files keep: then
	// no chmod.
	if opts.Mode != 0 {
		// The client's bits less the server's umask, as cp applies them.
		if want := umask.Apply(opts.Mode, 0o644, u.d.umask); statErr != nil || fi.Mode().Perm() != want {
			if err := u.f.Chmod(want); err != nil {
				return fail(err)
			}
		}
	}
	if u.anon != nil {
		return u.commitAnon(opts, retire, fail)
	}
	if err := u.f.Close(); err != nil {
		return fail(err)
	}
	if !opts.ModTime.IsZero() {
		var err error
		if u.d.fast != nil && path.Dir(u.tmp) == store.PartialDir {
			err = u.d.fast.setTimes(u.tmp, opts.ModTime)
		} else {
			err = u.d.root.Chtimes(u.tmp, opts.ModTime, opts.ModTime)
		}
		if err != nil {
			return fail(err)
		}
	}
	dir := path.Dir(u.key)
	if err := u.d.mkdirs(dir, false); err != nil {
		return fail(err)
	}
	rename := func() error {
		if u.d.fast != nil && path.Dir(u.tmp) == store.PartialDir {
			return u.d.fast.rename(u.tmp, u.key)
		}
		return u.d.root.Rename(u.tmp, u.key)
	}
	defer u.holdOld(retire)()
	// Renaming onto a directory fails with EISDIR: no need to look first.
	err := rename()
	if errors.Is(err, fs.ErrNotExist) {
		// A directory known to exist was deleted meanwhile.
		if err = u.d.mkdirs(dir, true); err == nil {
			err = rename()
		}
	}
	if err != nil {
		return fail(err)
	}
	u.done = true
	return nil
}

// holdOld, when retire is set, holds the version the commit replaces open
// across the rename or link, so that the kernel frees its pages when we
// let go of it, after the reply, and not inside the rename; the function
// it returns lets go, in the background.
func (u *diskUpload) holdOld(retire bool) func() {
	if !retire {
		return func() {}
	}
	old := u.d.openOld(u.key)
	return func() {
		if old != nil {
			go old.Close()
		}
	}
}

// retireLateMin is the size of upload from which Commit frees the version
// it replaces in the background: freeing a large file's pages takes
// milliseconds, an extra open per commit does not matter beside it.
const retireLateMin = 32 << 20

// openOld opens the file at key for reading, without following a final
// symbolic link or blocking on a FIFO where it can, or returns nil.
func (d *Store) openOld(key string) *os.File {
	flags := os.O_RDONLY | openOldFlags
	if d.fast != nil {
		f, _ := d.fast.open(key, flags, 0)
		return f
	}
	f, _ := d.root.OpenFile(key, flags, 0)
	return f
}

// commitAnon is the end of Commit for an unnamed file: timed through its
// descriptor and linked in under the key, the version it replaces held
// open as for a named one.
func (u *diskUpload) commitAnon(opts store.CommitOptions, retire bool, fail func(error) error) error {
	if !opts.ModTime.IsZero() {
		if err := u.anon.setTimes(u.f, opts.ModTime); err != nil {
			return fail(err)
		}
	}
	defer u.holdOld(retire)()
	err := u.anon.link(u.f, u.key)
	if errors.Is(err, fs.ErrNotExist) { // the directory was deleted meanwhile
		err = u.anon.relink(u.d, u.f, u.key)
	}
	if err != nil {
		return fail(err)
	}
	u.done = true
	u.anon.close()
	u.f.Close() // published: a local file system's close cannot fail it now
	return nil
}

func (u *diskUpload) Abort() error {
	if u.done {
		return nil
	}
	u.done = true
	u.f.Close()
	if u.anon != nil {
		u.anon.close() // the unnamed file goes with its last descriptor
		return nil
	}
	if err := u.d.root.Remove(u.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Delete implements Store.
func (d *Store) Delete(ctx context.Context, key string) error {
	k, err := store.FileKey(key)
	if err != nil {
		return err
	}
	fi, err := d.root.Lstat(k)
	if err != nil {
		return mapErr(err)
	}
	if fi.IsDir() {
		d.dirs.Clear() // what it knew may be what is deleted
		return mapErr(d.root.RemoveAll(k))
	}
	return mapErr(d.root.Remove(k))
}

// List implements Store. It walks only the prefix's directory, in lexical
// order, and reports regular files (and links to regular files inside the
// store).
func (d *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	p, err := store.CleanKey(prefix)
	if err != nil {
		return nil // 1.2 lists nothing for a prefix it cannot use
	}
	start := "."
	if p != "" {
		start = p
	}
	fsys := d.root.FS()
	err = fs.WalkDir(fsys, start, func(name string, de fs.DirEntry, err error) error {
		if err != nil {
			if name == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll
			}
			return nil // an unreadable directory is skipped, as rglob does
		}
		if name == store.PartialDir && de.IsDir() {
			return fs.SkipDir
		}
		if de.IsDir() {
			return nil
		}
		var fi fs.FileInfo
		if de.Type().IsRegular() {
			fi, err = de.Info() // from the directory, no path to resolve
		} else {
			fi, err = fs.Stat(fsys, name) // follows links, inside the root only
		}
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if p != "" && name == p {
			return nil // a prefix names a directory, never a file
		}
		return fn(info(name, fi))
	})
	return err
}
