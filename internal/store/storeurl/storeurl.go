// Package storeurl opens the store a server runs on from one URL-like
// string, so that the command line and the configuration name a backend
// the same way and serve never builds a store by hand:
//
//	dir:PATH     files in the directory PATH (created if missing)
//	PATH         the same (no scheme: a directory)
//	mem:         memory, DefaultCapacity; mem:SIZE bounds it (512MiB, 4GiB)
//	s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT[&region=R][&spool=DIR]
//	             an S3-API object store (credentials from AWS_ACCESS_KEY_ID
//	             and AWS_SECRET_ACCESS_KEY, or the shared credentials file)
//
// A new backend adds a case here and a package beside disk and mem.
package storeurl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/store/mem"
	"github.com/flaxfile/flaxfile/internal/store/s3"
)

// Opened is a store and how to name it to a person.
type Opened struct {
	store.Store
	// Where is the store in words: a directory, or "memory (1 GiB)".
	Where string
}

// Open opens the store spec names.
func Open(spec string) (*Opened, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok || len(scheme) < 2 { // no scheme, or a Windows drive letter
		scheme, rest = "dir", spec
	}
	switch scheme {
	case "dir":
		if rest == "" {
			return nil, fmt.Errorf("storage %q: dir: needs a directory", spec)
		}
		d, err := disk.Open(rest)
		if err != nil {
			return nil, err
		}
		return &Opened{Store: d, Where: d.Dir()}, nil
	case "s3":
		cfg, err := s3.ParseURL(spec)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		st, err := s3.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return &Opened{Store: st, Where: st.Where()}, nil
	case "mem":
		capacity := int64(mem.DefaultCapacity)
		if rest != "" {
			n, err := parseSize(rest)
			if err != nil {
				return nil, fmt.Errorf("storage %q: %w", spec, err)
			}
			capacity = n
		}
		return &Opened{Store: mem.New(capacity), Where: fmt.Sprintf("memory (%d MiB, gone when the server stops)", capacity>>20)}, nil
	}
	return nil, fmt.Errorf("storage %q: unknown kind %q (dir:PATH, mem:[SIZE] or s3://BUCKET?endpoint=URL)", spec, scheme)
}

// openTimeout bounds reaching a remote store when the server starts.
const openTimeout = 30 * time.Second

// parseSize reads a size such as 512MiB, 4GiB or 1000000 (octets).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: a positive number with KiB, MiB, GiB or TiB", s)
	}
	return n * mult, nil
}
