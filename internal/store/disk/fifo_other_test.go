//go:build !unix

package disk_test

import "errors"

func syscallMkfifo(string) error { return errors.New("no FIFOs here") }
