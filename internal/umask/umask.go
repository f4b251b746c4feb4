// Package umask reads the process's file mode creation mask without
// changing it, so that modes a peer sends are applied as cp and rsync
// apply them: the peer's bits, less what the local umask takes away.
package umask

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Default is assumed where the mask cannot be read: the usual 022.
const Default fs.FileMode = 0o022

// Get returns the process's umask. On Linux it is read from
// /proc/self/status (the one way that does not set it meanwhile, which
// would race with files other goroutines create); elsewhere it is Default.
func Get() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return Default
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m) & fs.ModePerm
			}
		}
	}
	return Default
}

// Apply returns the permission bits of peer (a mode a peer sent, or 0 for
// none: then def) less mask, as a file created with them would get.
func Apply(peer, def, mask fs.FileMode) fs.FileMode {
	if peer.Perm() == 0 {
		peer = def
	}
	return peer.Perm() &^ mask
}
