//go:build !linux

package disk

import (
	"context"
	"errors"
	"os"
)

// errUnsupported: this system offers no way to do it.
var errUnsupported = errors.New("store: not supported on this system")

// writeMeta keeps nothing where extended attributes are not used.
func writeMeta(*os.File, []byte) error { return nil }

// readMeta: no Meta is kept on this system.
func readMeta(*os.File) []byte { return nil }

// writeSums keeps nothing where extended attributes are not used.
func writeSums(*os.File, []byte) {}

// readSums: no Sums are kept on this system.
func readSums(*os.File) []byte { return nil }

// removeSums: nothing to drop.
func removeSums(*os.File) error { return nil }

// SyncAll implements Syncer; without syncfs it flushes nothing itself,
// and Commit's own fsync must be kept.
func (d *Store) SyncAll(ctx context.Context) error { return errUnsupported }

// Free implements Spacer; here the space is not known.
func (d *Store) Free(ctx context.Context) (int64, error) { return 0, errUnsupported }
