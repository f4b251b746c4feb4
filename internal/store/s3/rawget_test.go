package s3_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

// Ranges read on the store's own connections (out of order, so each is a
// request of its own) keep their connection from one range to the next;
// a kept connection the store closed meanwhile is replaced; once the
// store refuses a range on such a connection, ranges are read through
// minio-go.
func TestS3RawRangesKeepConnections(t *testing.T) {
	s, p := proxiedStore(t)
	const size, chunk = 26<<20 + 999, 2 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	storetest.Put(t, s, "big", data)
	for _, c := range []struct {
		name    string
		closing bool // the proxy drops its idle connections between ranges
		refuse  bool
		most    int64 // connections taken for 14 ranges
	}{
		{name: "kept", most: 3},
		{name: "closed by the store", closing: true, most: 30},
		{name: "refused", refuse: true, most: 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.refuseRaw.Store(c.refuse)
			defer p.refuseRaw.Store(false)
			o, err := s.Open(t.Context(), "big")
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			conns, ranged := p.conns.Load(), p.ranged.Load()
			var got []byte
			if c.closing {
				got = readRangesThen(t, o, size, chunk, p.srv.CloseClientConnections)
			} else {
				got = readRanges(t, o, size, chunk, 1, true, -1)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("the ranges read differ from the object")
			}
			n, r := p.conns.Load()-conns, p.ranged.Load()-ranged
			t.Logf("14 ranges in reverse: %d connections, %d ranged requests answered", n, r)
			if n > c.most {
				t.Fatalf("14 ranges took %d connections, want at most %d", n, c.most)
			}
			if r < 14 {
				t.Fatalf("14 ranges were answered by %d ranged requests", r)
			}
		})
	}
}

// readRangesThen reads o in ranges of chunk octets, last first, one at a
// time, calling between after each.
func readRangesThen(t *testing.T, o store.Object, size, chunk int64, between func()) []byte {
	t.Helper()
	rr := o.(store.RangeReader)
	got := make([]byte, size)
	for j := (size+chunk-1)/chunk - 1; j >= 0; j-- {
		off := j * chunk
		ln := min(chunk, size-off)
		r, err := rr.ReadRange(t.Context(), off, ln)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadFull(r, got[off:off+ln])
		_ = r.Close()
		if err != nil {
			t.Fatal(err)
		}
		between()
	}
	return got
}
