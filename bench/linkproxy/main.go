// Command linkproxy stands in for a long network link on loopback, where
// the kernel has no netem: every octet it forwards arrives delay later,
// and each connection may hold at most window octets in flight in each
// direction, an octet counting from when the proxy reads it until delay
// after it is delivered (the time its acknowledgement would take to come
// back). One connection so gets at most window / (2 × delay): a round
// trip of 2 × delay with a window of that size. With -rate, all
// connections together move at most that many octets a second in each
// direction, as over a link of that speed (a token bucket per direction,
// golang.org/x/time/rate).
//
//	linkproxy -target HOST:PORT [-delay 25ms] [-window 4194304] [-rate 12500000]
//
// It listens on 127.0.0.1:0 and prints its address on the first line.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

func main() {
	target := flag.String("target", "", "address to forward to")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay")
	window := flag.Int64("window", 4<<20, "octets in flight per connection and direction")
	bps := flag.Float64("rate", 0, "octets a second in each direction, all connections together (0: no limit)")
	flag.Parse()
	if *target == "" || *delay < 0 || *window <= 0 || *bps < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "linkproxy:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	up, down := newLink(*bps), newLink(*bps)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "linkproxy:", err)
			os.Exit(1)
		}
		go serve(c.(*net.TCPConn), *target, *delay, *window, up, down)
	}
}

// newLink returns the limiter of one direction of a link of bps octets a
// second, or nil for no limit.
func newLink(bps float64) *rate.Limiter {
	if bps == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(bps), piece)
}

func serve(in *net.TCPConn, target string, delay time.Duration, window int64, up, down *rate.Limiter) {
	defer in.Close()
	nc, err := net.Dial("tcp", target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "linkproxy:", err)
		return
	}
	out := nc.(*net.TCPConn)
	defer out.Close()
	var wg sync.WaitGroup
	wg.Go(func() { forward(in, out, delay, window, up) })
	wg.Go(func() { forward(out, in, delay, window, down) })
	wg.Wait()
}

// segment is data read at one time, due for delivery at due.
type segment struct {
	data []byte
	buf  *[]byte // to give back to bufs once data is written
	due  time.Time
}

// piece is the most the proxy reads at once.
const piece = 256 << 10

// bufs recycles read buffers, so that the proxy, which stands for a link
// and should take as little of the machine as it can, does not spend its
// time collecting garbage.
var bufs = sync.Pool{New: func() any { b := make([]byte, piece); return &b }}

// forward copies src to dst through the delay line, each read first
// waiting its turn on the link (nil: none), then half-closes dst.
func forward(src, dst *net.TCPConn, delay time.Duration, window int64, link *rate.Limiter) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var inflight int64
	queue := make(chan segment, window/piece+16)
	go func() {
		defer close(queue)
		for {
			mu.Lock()
			for inflight >= window {
				cond.Wait()
			}
			room := min(window-inflight, piece)
			mu.Unlock()
			bp := bufs.Get().(*[]byte)
			n, err := src.Read((*bp)[:room])
			if n > 0 && link != nil {
				_ = link.WaitN(context.Background(), n) // n <= piece, the burst
			}
			if n > 0 {
				mu.Lock()
				inflight += int64(n)
				mu.Unlock()
				queue <- segment{data: (*bp)[:n], buf: bp, due: time.Now().Add(delay)}
			} else {
				bufs.Put(bp)
			}
			if err != nil {
				return
			}
		}
	}()
	broken := false
	for s := range queue {
		time.Sleep(time.Until(s.due))
		if !broken {
			if _, err := dst.Write(s.data); err != nil {
				broken = true
				_ = src.CloseRead()
			}
		}
		n := int64(len(s.data))
		bufs.Put(s.buf)
		time.AfterFunc(delay, func() {
			mu.Lock()
			inflight -= n
			mu.Unlock()
			cond.Signal()
		})
	}
	_ = dst.CloseWrite()
	_, _ = io.Copy(io.Discard, src)
}
