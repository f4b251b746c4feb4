//go:build unix && !linux

package flaxfile

import "syscall"

const oNoFollow = syscall.O_NOFOLLOW
