// Command rawcopy is the baseline of the transfer benchmarks: it copies a
// file over TCP with no protocol at all, sendfile on the sending side and
// splice into the file on the receiving side. With N connections the file
// is cut into N ranges, each sent on its own connection after an 8-octet
// big-endian offset.
//
//	rawcopy recv OUTPUT [N]      listen on 127.0.0.1:0, print the address,
//	                             write what N connections bring to OUTPUT
//	rawcopy send FILE ADDR [N]   send FILE to ADDR over N connections
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawcopy:", err)
		os.Exit(1)
	}
}

func conns(args []string, i int) (int, error) {
	if len(args) <= i {
		return 1, nil
	}
	n, err := strconv.Atoi(args[i])
	if err != nil || n < 1 || n > 256 {
		return 0, fmt.Errorf("bad connection count %q", args[i])
	}
	return n, nil
}

func run(args []string) error {
	switch {
	case len(args) >= 2 && args[0] == "recv":
		n, err := conns(args, 2)
		if err != nil {
			return err
		}
		return recv(args[1], n)
	case len(args) >= 3 && args[0] == "send":
		n, err := conns(args, 3)
		if err != nil {
			return err
		}
		return send(args[1], args[2], n)
	}
	return errors.New("usage: rawcopy recv OUTPUT [N] | rawcopy send FILE ADDR [N]")
}

func recv(out string, n int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	if f, err := os.Create(out); err != nil {
		return err
	} else {
		f.Close()
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		wg.Go(func() {
			defer c.Close()
			errs[i] = recvOne(c, out, n > 1)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func recvOne(c net.Conn, out string, ranged bool) error {
	f, err := os.OpenFile(out, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if ranged {
		var hdr [8]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return err
		}
		if _, err := f.Seek(int64(binary.BigEndian.Uint64(hdr[:])), io.SeekStart); err != nil {
			return err
		}
	}
	_, err = f.ReadFrom(c) // splice(2) from the socket
	return err
}

func send(path, addr string, n int) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	size := fi.Size()
	part := (size + int64(n) - 1) / int64(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			off := min(int64(i)*part, size)
			errs[i] = sendOne(path, addr, off, min(part, size-off), n > 1)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sendOne(path, addr string, off, n int64, ranged bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if ranged {
		var hdr [8]byte
		binary.BigEndian.PutUint64(hdr[:], uint64(off))
		if _, err := c.Write(hdr[:]); err != nil {
			return err
		}
	}
	// sendfile(2) to the socket; a LimitedReader keeps it.
	if _, err := io.Copy(c, io.LimitReader(f, n)); err != nil {
		return err
	}
	return c.(*net.TCPConn).CloseWrite()
}
