//go:build !linux

package disk

import (
	"os"
	"time"
)

// beneath is the Linux fast path; elsewhere the store uses os.Root only.
type beneath struct{}

func openBeneath(string) *beneath { return nil }

func (*beneath) close() {}

func (*beneath) open(string, int, uint32) (*os.File, error) { panic("unreachable") }

func (*beneath) openRead(string) (*os.File, error) { panic("unreachable") }

func (*beneath) createTemp() (*os.File, string, error) { panic("unreachable") }

func (*beneath) setTimes(string, time.Time) error { panic("unreachable") }

func (*beneath) rename(string, string) error { panic("unreachable") }
