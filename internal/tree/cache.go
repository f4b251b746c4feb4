package tree

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/zeebo/xxh3"
)

// Cache remembers the content hashes of a tree's files, each valid while
// the file keeps the size and modification time it had when hashed, so
// that syncing an unchanged tree again reads no file. It lives in one
// file per tree under the user's cache directory; a cache that cannot be
// read or written only costs time.
type Cache struct {
	path string

	mu     sync.Mutex
	loaded bool
	m      map[cacheKey]cacheEntry
	dirty  bool
}

type cacheKey struct{ rel, kind string }

type cacheEntry struct {
	size, mtime int64
	hash        string
}

// OpenCache returns the cache for the tree at root (nothing is read until
// it is used). dir, if not empty, replaces the user's cache directory.
func OpenCache(root, dir string) *Cache {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	if dir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "flaxfile")
		}
	}
	if dir == "" {
		return &Cache{}
	}
	sum := xxh3.HashString128(abs).Bytes()
	return &Cache{path: filepath.Join(dir, "hashes-"+hex.EncodeToString(sum[:8])+".tsv")}
}

func (c *Cache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.m = map[cacheKey]cacheEntry{}
	if c.path == "" {
		return
	}
	f, err := os.Open(c.path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// kind \t size \t mtime \t hash \t rel
		parts := strings.SplitN(sc.Text(), "\t", 5)
		if len(parts) != 5 {
			continue
		}
		size, err1 := strconv.ParseInt(parts[1], 10, 64)
		mtime, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		c.m[cacheKey{parts[4], parts[0]}] = cacheEntry{size, mtime, parts[3]}
	}
}

// Get returns the cached hash of kind for rel, if it was taken at this
// size and time.
func (c *Cache) Get(rel, kind string, size, mtime int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.m[cacheKey{rel, kind}]
	if !ok || e.size != size || e.mtime != mtime {
		return "", false
	}
	return e.hash, true
}

// Put records a hash.
func (c *Cache) Put(rel, kind string, size, mtime int64, hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	c.m[cacheKey{rel, kind}] = cacheEntry{size, mtime, hash}
	c.dirty = true
}

// Save writes the cache back if it changed, atomically.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty || c.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".hashes-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(tmp)
	for k, e := range c.m {
		if strings.ContainsAny(k.rel, "\n") {
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", k.kind, e.size, e.mtime, e.hash, k.rel)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	c.dirty = false
	return os.Rename(tmp.Name(), c.path)
}
