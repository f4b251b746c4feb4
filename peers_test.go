package flaxfile_test

import (
	"net"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A client given several addresses takes the first that answers; servers
// on their own disks name no shared store, so a transfer stays on the
// one it began with.
func TestSeveralAddressesOfSeparateServers(t *testing.T) {
	ctx := ctxFor(t)
	a, srvA := servertest.StartServer(t, server.Config{}, nil)
	b, srvB := servertest.StartServer(t, server.Config{}, nil)
	c, err := flaxfile.Dial(ctx, closedAddr(t)+", "+a+","+b, &flaxfile.Options{Connections: 4, Window: 1})
	if err != nil {
		t.Fatalf("a client whose first address is down: %v", err)
	}
	defer c.Close()
	src, data := randomFile(t, 20<<20)
	if _, err := c.SetFile(ctx, "k", src); err != nil {
		t.Fatal(err)
	}
	mustGet(ctx, t, c, "k", data)
	if up := srvA.Stats().BytesUploaded; up != int64(len(data)) {
		t.Errorf("the first server that answered received %d octets, want %d", up, len(data))
	}
	if st := srvB.Stats(); st.BytesUploaded != 0 || st.BytesDownloaded != 0 {
		t.Errorf("a server of another store took part: %+v", st)
	}

	if _, err := flaxfile.Dial(ctx, closedAddr(t)+","+closedAddr(t), nil); err == nil || strings.Count(err.Error(), "connecting to") != 2 {
		t.Errorf("no server answered, and Dial said %v", err)
	}
	if _, err := flaxfile.Dial(ctx, " , ", nil); err == nil {
		t.Error("Dial of no address succeeded")
	}
}

// A wrong password ends Dial at the first server: the others are not
// tried with it.
func TestSeveralAddressesRefusal(t *testing.T) {
	ctx := ctxFor(t)
	a, _ := servertest.StartServer(t, server.Config{}, servertest.Password(t, "right"))
	b, srvB := servertest.StartServer(t, server.Config{}, nil)
	_, err := flaxfile.Dial(ctx, a+","+b, &flaxfile.Options{Password: "wrong"})
	if err == nil {
		t.Fatal("a wrong password was taken")
	}
	if n := srvB.Stats().Connections; n != 0 {
		t.Errorf("after a refusal the next server was tried (%d connections)", n)
	}
}
