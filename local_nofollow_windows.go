//go:build windows

package flaxfile

const oNoFollow = 0
