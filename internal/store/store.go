// Package store is where FlaxFile's server keeps files: the interface the
// server uses, its optional parts, and the key rules every backend shares.
// Each backend is a package below it (disk: a directory confined with
// os.Root and openat2; mem: memory, for tests and throwaway servers), and
// storetest is the conformance suite every backend passes.
//
// Keys are slash-separated relative paths. A new version of a key is
// written aside and becomes visible only when committed, atomically, so
// readers and listings never see a partial file, and an upload that fails
// leaves the previous version untouched.
package store

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/keypath"
)

// Errors callers branch on.
var (
	// ErrNotFound: no file or directory under that key.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalidKey: the key escapes the store, names its root, holds a
	// NUL, or names the store's own bookkeeping.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrIsDir: the key names a directory where a file is needed.
	ErrIsDir = errors.New("store: is a directory")
	// ErrReplaced: an open version could not be read any more because
	// the key was replaced (stores that cannot keep a version open); its
	// text is the one FlaxFile 2 clients recognise (wire.Replaced).
	ErrReplaced = errors.New("the file was replaced while it was read")
)

// Info describes a stored file or directory.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
	Mode    os.FileMode
	Dir     bool
	// Meta is what the last commit recorded with the file (see
	// CommitOptions.Meta), or nil where the store keeps none. Open's
	// Object reports it; Stat and List may leave it out.
	Meta []byte
}

// Store is where files live. Every method takes a context: a backend
// that waits on anything (a network, a lock) gives up when it ends.
type Store interface {
	// Stat describes key.
	Stat(ctx context.Context, key string) (Info, error)
	// Open opens the current version of a file for reading. The Object
	// keeps reading that version even if the key is replaced meanwhile.
	Open(ctx context.Context, key string) (Object, error)
	// Create starts a new version of a file, invisible until committed.
	Create(ctx context.Context, key string) (Upload, error)
	// Delete removes a file, or a directory with everything in it. The
	// root itself cannot be deleted.
	Delete(ctx context.Context, key string) error
	// List calls fn for every file whose key lies under the directory
	// prefix ("" for all), in lexical order of keys. Uncommitted uploads
	// are never listed.
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// Close releases the store.
	Close() error
}

// Object is an open version of a file.
type Object interface {
	io.ReaderAt
	io.Closer
	// Info describes this version.
	Info() Info
}

// Filer is implemented by Objects kept in an operating-system file, so
// that the server can send them without copying (sendfile, splice).
type Filer interface {
	// File returns the open file; the Object still owns it.
	File() *os.File
}

// RangeReader is implemented by Objects whose store sends a range as a
// stream (an object store's HTTP response), so that the server can pass it
// on as it arrives instead of buffering it whole. The returned reader
// yields exactly n octets or an error; a version replaced since the Object
// was opened fails here with ErrReplaced, before any octet is read.
type RangeReader interface {
	ReadRange(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// Passer is implemented by the readers a RangeReader returns whose octets
// come from a network connection (an object store's reply): PassTo moves
// the rest of the range into w when w is a ConnSink, from connection to
// connection without copying it through the process where the system
// allows (splice(2) on Linux). It reports false, having moved nothing,
// when it cannot; the range is then read as usual. Like Read, it fails
// when the range ends early.
type Passer interface {
	PassTo(w io.Writer) (n int64, ok bool, err error)
}

// ConnSink is a writer that can take octets straight from a connection
// (a plaintext FlaxFile connection's streamed frame): ReadFromConn moves
// n octets from src, fewer only when src ends or fails.
type ConnSink interface {
	io.Writer
	ReadFromConn(src net.Conn, n int64) (int64, error)
}

// MetaSetter is implemented by Objects whose store keeps Meta: it records
// meta with the very version the Object is open on (a hash computed after
// the fact), unless that version was replaced meanwhile.
type MetaSetter interface {
	SetMeta(meta []byte) error
}

// Upload is a version being written. ReadAt reads back what was written.
type Upload interface {
	io.WriterAt
	io.ReaderAt
	// Commit makes the written octets the current version of the key,
	// replacing any previous one atomically.
	Commit(ctx context.Context, opts CommitOptions) error
	// Abort discards the upload. It is safe after Commit (it does nothing
	// then) and more than once.
	Abort() error
}

// CommitOptions tune Commit.
type CommitOptions struct {
	// NoSync skips flushing the data to stable storage before it is
	// published; faster, but a crash can then publish a file with holes.
	NoSync bool
	// ModTime, when not zero, becomes the file's modification time.
	ModTime time.Time
	// Mode, when not zero, becomes the file's permission bits.
	Mode os.FileMode
	// Meta, when not nil, is kept with the file and published with it
	// atomically (at most MaxMeta octets); stores that cannot keep it
	// drop it silently, and callers then recompute what it held.
	Meta []byte
	// Sums, when not nil, is a record of the file's block hashes, kept
	// beside it where the store can (SumsKeeper), so that a delta upload
	// against the file need not read it to learn them; a store that
	// cannot keep it, or not that much of it, drops it silently.
	Sums []byte
}

// MaxMeta bounds CommitOptions.Meta.
const MaxMeta = 1024

// MaxSums bounds CommitOptions.Sums.
const MaxSums = 16 << 10

// SumsKeeper is implemented by Objects whose store keeps CommitOptions.Sums:
// Sums returns the record kept with the version open (nil if none, or
// unreadable); ForgetSums drops it, once found wrong.
type SumsKeeper interface {
	Sums() []byte
	ForgetSums() error
}

// Syncer is implemented by stores that can flush everything written so
// far to stable storage at once (syncfs), which costs far less than one
// fsync per file when many small files are committed together.
type Syncer interface {
	SyncAll(ctx context.Context) error
}

// Spacer is implemented by stores that know their free space, so that an
// upload that cannot fit is refused before it starts.
type Spacer interface {
	Free(ctx context.Context) (int64, error)
}

// SetObjectMeta records meta with the very version o is open on, where
// the store keeps Meta (MetaSetter); elsewhere it does nothing.
func SetObjectMeta(o Object, meta []byte) error {
	if len(meta) > MaxMeta {
		return errors.New("store: metadata too large")
	}
	if m, ok := o.(MetaSetter); ok {
		return m.SetMeta(meta)
	}
	return nil
}

// Partials is implemented by stores that keep uploads across restarts, so
// that an interrupted upload can be resumed.
type Partials interface {
	// OpenPartial opens the partial upload named id (32 hex digits) for
	// key, creating it if there is none; fresh reports that it was created.
	// spec describes the file it will be.
	OpenPartial(ctx context.Context, key, id string, spec Spec) (p Partial, fresh bool, err error)
	// ExpirePartials removes partial uploads not written for longer than
	// age, except those inUse reports, and says how many it removed.
	ExpirePartials(ctx context.Context, age time.Duration, inUse func(id string) bool) (int, error)
}

// ValidUploadID reports whether id can name a partial upload: 32
// lowercase hex digits.
func ValidUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Partial is a resumable upload: the Upload, and a journal the caller
// appends records to and reads back when the upload is opened again.
// Abort removes both; Commit publishes the file and removes the journal.
// One kept in an operating-system file is also a Filer.
type Partial interface {
	Upload
	// Journal returns what has been appended to the journal so far.
	Journal() ([]byte, error)
	// AppendJournal appends rec with one write.
	AppendJournal(rec []byte) error
	// Close closes the partial without discarding it, for a later
	// OpenPartial.
	Close() error
}

// Spec describes the file a partial upload will be, as its client
// declared it: stores that must lay it out before it is written (the
// parts of a multipart upload) need its size.
type Spec struct {
	Size    int64
	ModTime time.Time // zero: the time it is committed
	Mode    os.FileMode
	// WillSync says the upload will be committed with a flush
	// (CommitOptions.NoSync false): a store may start writing its data
	// to the disk as it arrives, so that the flush finds little left.
	WillSync bool
}

// RangeJournal is implemented by Partials that must know which octets a
// journal record vouches for: an object store sends a part once every
// octet of it is written and recorded, and keeps its records with it.
// Callers then record blocks with AppendJournalFor; the journal's header
// still goes by AppendJournal.
type RangeJournal interface {
	// AppendJournalFor appends rec, the records of the blocks written at
	// [off, off+n).
	AppendJournalFor(rec []byte, off, n int64) error
}

// PartChunker is implemented by stores that keep a partial upload as
// parts: uploads whose chunks are PartChunk octets (and start on a
// multiple of it) go straight into parts, without a spool.
type PartChunker interface {
	PartChunk() int64
}

// ConcurrentWriter is implemented by Uploads whose WriteAt may run on
// several goroutines at once and may take long (each a request to an
// object store): callers should not queue them behind one another.
type ConcurrentWriter interface {
	ConcurrentWrites() bool
}

// Vouched is implemented by Partials whose store keeps the octets of
// every block their journal lists, as recorded, or none of them (the
// parts of an object store's multipart upload): a resumed upload need
// not read them back to check them, and may not be able to.
type Vouched interface {
	Vouched() bool
}

// PartialInfo describes one partial upload a store keeps.
type PartialInfo struct {
	ID      string
	Key     string
	Size    int64     // the file's declared size
	Held    int64     // octets the store holds of it
	ModTime time.Time // when it was last written
}

// PartialAdmin is implemented by Partials stores that can list their
// partial uploads and remove one (what an administrator does; a key is
// read from the journal's header, a JSON object with "key" and "size").
type PartialAdmin interface {
	ListPartials(ctx context.Context) ([]PartialInfo, error)
	RemovePartial(ctx context.Context, id string) error
}

// CountPartials says how many partial uploads pa keeps and the octets
// they hold.
func CountPartials(ctx context.Context, pa PartialAdmin) (n int, octets int64, err error) {
	list, err := pa.ListPartials(ctx)
	for _, p := range list {
		octets += p.Held
	}
	return len(list), octets, err
}

// Shared is implemented by stores that several servers may use at once
// (an object store's bucket): a client that names several of those
// servers may spread one transfer over them.
type Shared interface {
	// Namespace names what the store holds: two stores of the same
	// namespace hold the same files and partial uploads.
	Namespace() string
}

// Refresher is implemented by the Partials of a Shared store, which
// other servers write too.
type Refresher interface {
	// Refresh returns the journal records of the blocks other servers
	// have written and recorded since the partial was opened or last
	// refreshed.
	Refresh(ctx context.Context) ([]byte, error)
	// Live reports whether the upload is still open in the store: not
	// published, ended or replaced through another server.
	Live(ctx context.Context) (bool, error)
}

// PartialDir is the directory under the root where uploads are written
// before they are committed; keys inside it are refused.
const PartialDir = ".flaxfile-partial"

// FileKey is CleanKey for a key that must name something below the root
// (a file, or a directory to delete): the root itself is ErrInvalidKey.
func FileKey(key string) (string, error) {
	k, err := CleanKey(key)
	if err == nil && k == "" {
		err = ErrInvalidKey
	}
	return k, err
}

// CleanKey normalises a key as FlaxFile 1.2 does (compat §4): leading
// slashes are dropped and "." and ".." resolved lexically. A key that
// escapes, holds a NUL, or lies under PartialDir is ErrInvalidKey. The
// root comes back as "", which only List accepts.
func CleanKey(key string) (string, error) {
	k, err := keypath.Clean(key)
	if err != nil {
		return "", ErrInvalidKey
	}
	if first, _, _ := strings.Cut(k, "/"); first == PartialDir {
		return "", ErrInvalidKey
	}
	return k, nil
}
