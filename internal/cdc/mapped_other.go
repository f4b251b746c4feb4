//go:build !linux

package cdc

import (
	"context"
	"os"
)

// cutMapped: files are read, not mapped, on this system.
func cutMapped(context.Context, *os.File, int64, int64, func(Chunk) error) (bool, error) {
	return false, nil
}
