// Command relay is the least a server between a client and a store can
// do: it passes each connection's octets on to the target and back,
// unread, with io.Copy (splice(2) socket to socket on Linux), and nothing
// else. bench/s3.sh measures the store's own client through it (job
// rget) to show what one more hop costs on the machine itself, apart from
// anything FlaxFile does.
//
//	relay -target HOST:PORT
//
// It listens on 127.0.0.1:0 and prints its address on the first line.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	target := flag.String("target", "", "HOST:PORT to pass connections on to")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "relay: -target HOST:PORT is required")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "relay:", err)
			os.Exit(1)
		}
		go pass(c, *target)
	}
}

// pass joins c to a new connection to target until either side ends.
func pass(c net.Conn, target string) {
	defer c.Close()
	u, err := net.Dial("tcp", target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return
	}
	defer u.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(u, c)
		if tc, ok := u.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(done)
	}()
	_, _ = io.Copy(c, u)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}
