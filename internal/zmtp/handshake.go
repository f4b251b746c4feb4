package zmtp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Socket types this package speaks (RFC 28/REQREP).
const (
	// TypeDealer is the DEALER socket type.
	TypeDealer = "DEALER"
	// TypeRouter is the ROUTER socket type.
	TypeRouter = "ROUTER"
)

// compatible reports whether a socket of type local may talk to a peer of
// type remote (RFC 37 §2.5.1; only the types FlaxFile meets).
func compatible(local, remote string) bool {
	switch local {
	case TypeDealer:
		return remote == "REP" || remote == TypeDealer || remote == TypeRouter
	case TypeRouter:
		return remote == "REQ" || remote == TypeDealer || remote == TypeRouter
	}
	return false
}

// handshake runs the greeting and the mechanism's exchange on nc within the
// handshake timeout. The returned reader holds whatever octets already
// arrived after the handshake.
func handshake(nc net.Conn, o *Options, socketType string) (*bufio.Reader, Codec, *Handshake, error) {
	mech := o.Mechanism
	fail := func(err error) (*bufio.Reader, Codec, *Handshake, error) {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("no handshake within %v", o.HandshakeTimeout)
		} else if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("peer closed the connection: %w", err)
		}
		return nil, nil, nil, &HandshakeError{Mechanism: mech.Name(), Err: err}
	}
	_ = nc.SetDeadline(time.Now().Add(o.HandshakeTimeout))
	g := Greeting{Major: 3, Minor: 1, Mechanism: mech.Name(), AsServer: mech.AsServer()}
	gb := g.Marshal()
	if _, err := nc.Write(gb[:]); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	var peerGB [GreetingSize]byte
	if _, err := io.ReadFull(br, peerGB[:signatureSize]); err != nil {
		return fail(err)
	}
	if err := checkSignature(peerGB[:signatureSize]); err != nil {
		return fail(err)
	}
	if _, err := io.ReadFull(br, peerGB[signatureSize:]); err != nil {
		return fail(noEOF(err))
	}
	peer, err := ParseGreeting(peerGB[:])
	if err != nil {
		return fail(err)
	}
	// The as-server octet is not checked: libzmq 4.3.4 sends 0 even from a
	// CURVE server, and the mechanism's own commands fix the roles anyway.
	if peer.Mechanism != mech.Name() {
		return nil, nil, nil, &HandshakeError{Mechanism: mech.Name(), Err: &MechanismMismatchError{Local: mech.Name(), Remote: peer.Mechanism}}
	}
	local := Metadata{{Name: PropSocketType, Value: []byte(socketType)}}
	if socketType == TypeDealer || socketType == TypeRouter {
		local = append(local, Property{Name: PropIdentity, Value: o.Identity})
	}
	hs := &Handshake{Peer: peer, Local: local, Buffers: o.Buffers, r: br, w: nc}
	codec, err := mech.Handshake(hs)
	if err != nil {
		return fail(err)
	}
	st, _ := hs.peerMeta.Get(PropSocketType)
	if !compatible(socketType, string(st)) {
		hs.SendError("incompatible socket type")
		return fail(fmt.Errorf("%w: a %s socket cannot talk to a %q socket", ErrProtocol, socketType, st))
	}
	_ = nc.SetDeadline(time.Time{})
	return br, codec, hs, nil
}
