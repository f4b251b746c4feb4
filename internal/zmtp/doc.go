// Package zmtp implements the ZeroMQ Message Transport Protocol, version 3.1
// (RFC 37/ZMTP, which extends RFC 23/ZMTP 3.0), over TCP, in pure Go.
//
// It speaks only what FlaxFile needs: the DEALER role (a client that dials
// one server) and the ROUTER role (a server with many peers, each addressed
// by a routing identity), with the NULL security mechanism built in and
// other mechanisms, such as CURVE in package curve, plugged in through
// [Mechanism].
//
// # Connections
//
// A [Conn] is one TCP connection after a successful handshake. It owns
// exactly two goroutines: a reader, which decodes frames into [Message]s,
// and a writer, which encodes what [Conn.Send] and [Conn.SendParts] hand it
// and answers heartbeats. Every failure goes through one teardown path that
// records the first error, closes the socket and wakes every waiter.
//
// # Limits
//
// The total size of one message is checked against
// [Options.MaxMessageSize] from the frame header, before any buffer is
// allocated. The handshake must finish within [Options.HandshakeTimeout].
//
// # Copies
//
// Frame bodies are read straight into buffers from a [BufferPool]; a
// message is written with one vectored write of headers and bodies; on a
// plaintext connection a [Part] that names a file section is sent by the
// kernel (sendfile) without passing through user space.
package zmtp
