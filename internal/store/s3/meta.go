package s3

import (
	"encoding/base64"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
)

// Object metadata (x-amz-meta-*): the file's time in nanoseconds, its
// mode in octal, and the server's metadata (store.CommitOptions.Meta) in
// base64.
const (
	metaMTime = "Flaxfile-Mtime"
	metaMode  = "Flaxfile-Mode"
	metaMeta  = "Flaxfile-Meta"
)

// userMeta is the metadata an object is written with.
func userMeta(mtime time.Time, mode os.FileMode, meta []byte) map[string]string {
	m := map[string]string{metaMTime: strconv.FormatInt(mtime.UnixNano(), 10), metaMode: strconv.FormatUint(uint64(mode.Perm()), 8)}
	if meta != nil {
		m[metaMeta] = base64.StdEncoding.EncodeToString(meta)
	}
	return m
}

// lookup finds name in md, whatever its case.
func lookup(md map[string]string, name string) (string, bool) {
	for k, v := range md {
		if strings.EqualFold(k, name) || strings.EqualFold(k, "X-Amz-Meta-"+name) {
			return v, true
		}
	}
	return "", false
}

// infoOf describes an object from its size, time and metadata; what the
// metadata lacks (an object another tool wrote) falls back to the
// object's own time and mode 0644.
func infoOf(key string, size int64, modified time.Time, md map[string]string) store.Info {
	i := store.Info{Key: key, Size: size, ModTime: modified, Mode: 0o644}
	if v, ok := lookup(md, metaMTime); ok {
		if ns, err := strconv.ParseInt(v, 10, 64); err == nil {
			i.ModTime = time.Unix(0, ns)
		}
	}
	if v, ok := lookup(md, metaMode); ok {
		if m, err := strconv.ParseUint(v, 8, 32); err == nil {
			i.Mode = os.FileMode(m).Perm()
		}
	}
	if v, ok := lookup(md, metaMeta); ok {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) <= store.MaxMeta {
			i.Meta = b
		}
	}
	return i
}
