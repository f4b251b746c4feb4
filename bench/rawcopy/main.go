// Command rawcopy is the baseline of the transfer benchmarks: it copies a
// file over one TCP connection with no protocol at all, sendfile on the
// sending side and splice into the file on the receiving side.
//
//	rawcopy recv OUTPUT        listen on 127.0.0.1:0, print the address,
//	                           write what arrives to OUTPUT, then exit
//	rawcopy send FILE ADDR     send FILE to ADDR
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawcopy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 2 && args[0] == "recv" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		fmt.Println(ln.Addr())
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		defer c.Close()
		f, err := os.Create(args[1])
		if err != nil {
			return err
		}
		if _, err := f.ReadFrom(c); err != nil { // splice(2) from the socket
			return err
		}
		return f.Close()
	}
	if len(args) == 3 && args[0] == "send" {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		c, err := net.Dial("tcp", args[2])
		if err != nil {
			return err
		}
		if _, err := io.Copy(c, f); err != nil { // sendfile(2) to the socket
			return err
		}
		return c.Close()
	}
	return fmt.Errorf("usage: rawcopy recv OUTPUT | rawcopy send FILE ADDR")
}
