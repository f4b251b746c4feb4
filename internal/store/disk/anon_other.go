//go:build !linux

package disk

import (
	"errors"
	"os"
	"time"
)

// anonFile is Linux's unnamed upload file; elsewhere uploads are named
// temporary files.
type anonFile struct{}

func (d *Store) createAnon(string) (*os.File, *anonFile, bool) { return nil, nil, false }

var errNoAnon = errors.New("store: no unnamed files here")

func (*anonFile) setTimes(*os.File, time.Time) error    { return errNoAnon }
func (*anonFile) link(*os.File, string) error           { return errNoAnon }
func (*anonFile) relink(*Store, *os.File, string) error { return errNoAnon }
func (*anonFile) close()                                {}
