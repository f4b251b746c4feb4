// authorized.go: key-file mode's access control, a list of client public
// keys, each with read-only or read-write rights and an optional key
// prefix it is confined to, read from an authorized-keys file and read
// again when that file changes.
//
// The file has one client per line, "<Z85 public key> <ro|rw> [prefix]";
// a field starting with "#" starts a comment; blank lines are skipped.

package auth

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Right is what a client may do.
type Right struct {
	// Write allows uploads and deletions; without it a client may only
	// read and list.
	Write bool
	// Admin ("admin" in the file: rw, and more) sees and clears every
	// client's partial uploads and sees other clients' details in the
	// server's status; it takes no prefix.
	Admin bool
	// Prefix, when not empty, is the only directory the client may touch:
	// keys equal to it or under it.
	Prefix string
}

// Allows reports whether key (clean, "/"-separated) lies within the
// right's prefix.
func (r Right) Allows(key string) bool {
	return r.Prefix == "" || key == r.Prefix || strings.HasPrefix(key, r.Prefix+"/")
}

// List is an authorized-keys file, reread when its modification time or
// size changes (checked at most once a second).
type List struct {
	path string

	mu      sync.Mutex
	keys    map[curve.Key]Right
	stamp   [2]int64 // mtime, size of what was read
	checked time.Time
}

// ErrUnknownKey is a client key the list does not hold.
var ErrUnknownKey = errors.New("access: client key not authorized")

// Load reads the file at path.
func Load(path string) (*List, error) {
	l := &List{path: path}
	if err := l.reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// Parse reads an authorized-keys text.
func Parse(text string) (map[curve.Key]Right, error) {
	keys := map[curve.Key]Right{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		// "#" starts a comment at the start of a line or of a field only:
		// Z85 keys may hold "#" themselves.
		var f []string
		for _, w := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(w, "#") {
				break // (a Z85 key never starts with "#", its last digit)
			}
			f = append(f, w)
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("line %d: want <public key> <ro|rw|admin> [prefix]", n)
		}
		k, err := curve.ParseKey(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		var r Right
		switch f[1] {
		case "rw":
			r.Write = true
		case "admin":
			r.Write, r.Admin = true, true
		case "ro":
		default:
			return nil, fmt.Errorf("line %d: rights %q: want ro, rw or admin", n, f[1])
		}
		if len(f) == 3 && r.Admin {
			return nil, fmt.Errorf("line %d: an admin key takes no prefix", n)
		}
		if len(f) == 3 {
			p := path.Clean("/" + f[2])[1:]
			if p == "" || strings.ContainsRune(p, 0) {
				return nil, fmt.Errorf("line %d: prefix %q", n, f[2])
			}
			r.Prefix = p
		}
		keys[k] = r
	}
	return keys, sc.Err()
}

func (l *List) reload() error {
	fi, err := os.Stat(l.path)
	if err != nil {
		return err
	}
	stamp := [2]int64{fi.ModTime().UnixNano(), fi.Size()}
	if l.keys != nil && stamp == l.stamp {
		return nil
	}
	b, err := os.ReadFile(l.path)
	if err != nil {
		return err
	}
	keys, err := Parse(string(b))
	if err != nil {
		return fmt.Errorf("access: %s: %w", l.path, err)
	}
	l.keys, l.stamp = keys, stamp
	return nil
}

// Lookup returns the rights of a client key. A file that changed is read
// again first; one that became unreadable or invalid keeps the last good
// list in force.
func (l *List) Lookup(k curve.Key) (Right, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.checked) >= time.Second {
		l.checked = now
		_ = l.reload()
	}
	r, ok := l.keys[k]
	if !ok {
		return Right{}, ErrUnknownKey
	}
	return r, nil
}

// Reload reads the file again now, whatever its time and size say (a
// SIGHUP); an unreadable or invalid file keeps the last good list in
// force and is reported.
func (l *List) Reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked = time.Now()
	l.stamp = [2]int64{}
	keys := l.keys
	l.keys = nil // reload reads whatever the stamp
	if err := l.reload(); err != nil {
		l.keys = keys
		return err
	}
	return nil
}

// Len is how many keys the list holds.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
