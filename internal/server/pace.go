package server

import (
	"encoding/hex"
	"net"
	"sync"
	"time"

	"github.com/flaxfile/flaxfile/internal/pace"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// A server may hold its transfers to a rate: all of them together
// (Config.BandwidthLimit) and each client's (BandwidthLimitPerClient; a
// client is its key in key-file mode, else its IP address). Uploads wait
// before a request carrying data is handled, so the rest waits in the
// memory budget and then in the sender's socket; downloads wait before
// each range is sent.

// paces holds the limiters.
type paces struct {
	all       *pace.Limiter
	perClient int64

	mu      sync.Mutex
	clients map[string]*clientPace
}

// clientPace is one client's limiter and when it was last used.
type clientPace struct {
	l    *pace.Limiter
	used time.Time
}

// maxClientPaces bounds the clients whose limiters are kept at once; an
// idle one goes first (sweep), and past the bound, the oldest.
const maxClientPaces = 4096

func newPaces(all, perClient int64) *paces {
	return &paces{all: pace.New(all), perClient: perClient, clients: map[string]*clientPace{}}
}

// wait holds n octets of r's client back until the rates allow them; it
// reports false when the request's context ended meanwhile.
func (s *Server) wait(r *request, n int64) bool {
	p := s.paces
	if p == nil || n <= 0 {
		return true
	}
	if p.perClient > 0 {
		if p.client(clientOf(r, s.cfg.Access != nil)).Wait(r.ctx, n) != nil {
			return false
		}
	}
	return p.all.Wait(r.ctx, n) == nil
}

// clientOf names r's client: its key in key-file mode, else its address.
func clientOf(r *request, keyed bool) string {
	if keyed {
		return "key:" + hex.EncodeToString(r.c.PeerPublicKey())
	}
	host, _, err := net.SplitHostPort(r.c.RemoteAddr().String())
	if err != nil {
		host = r.c.RemoteAddr().String()
	}
	return "ip:" + host
}

// client returns the limiter of client id, made if need be.
func (p *paces) client(id string) *pace.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if cp, ok := p.clients[id]; ok {
		cp.used = now
		return cp.l
	}
	if len(p.clients) >= maxClientPaces {
		var oldest string
		for k, cp := range p.clients {
			if oldest == "" || cp.used.Before(p.clients[oldest].used) {
				oldest = k
			}
		}
		delete(p.clients, oldest)
	}
	cp := &clientPace{l: pace.New(p.perClient), used: now}
	p.clients[id] = cp
	return cp.l
}

// sweep forgets the limiters of clients idle for longer than idle.
func (p *paces) sweep(now time.Time, idle time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, cp := range p.clients {
		if now.Sub(cp.used) > idle {
			delete(p.clients, k)
		}
	}
}

// carriesData reports whether requests of cmd carry a file's octets in:
// those wait for the rates before they are handled.
func carriesData(cmd string) bool {
	switch cmd {
	case wire.CmdUploadChunk, wire.CmdPutChunk, wire.CmdPutSmall, wire.CmdPutPatch, wire.CmdPutBuild:
		return true
	}
	return false
}
