// Package tmpname names temporary files without a system call: a random
// prefix drawn once per process, then a counter. Creating the file with
// O_EXCL still refuses a name that is taken, and processes sharing a
// directory (servers on one store, clients writing into one tree) draw
// different prefixes.
package tmpname

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

var (
	prefix = func() string {
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		return hex.EncodeToString(rnd[:])
	}()
	count atomic.Uint64
)

// Next returns a name, hex digits only, that no other call in this
// process returned.
func Next() string { return prefix + strconv.FormatUint(count.Add(1), 16) }

// Beside returns a hidden temporary name for a file written beside name
// before it takes name's place: ".NAME.flaxfile-…", which push and pull
// ignore (tree.Defaults).
func Beside(name string) string { return "." + name + ".flaxfile-" + Next() }
