// Package curve implements the CURVE security mechanism of ZeroMQ
// (RFC 25/ZMTP-CURVE, RFC 26/CurveZMQ) for package zmtp, and Z85
// (RFC 32/Z85) to print and parse its keys.
//
// All cryptography comes from golang.org/x/crypto and the standard
// library: nacl/box with precomputed keys for every box, nacl/secretbox
// for the server's cookie, curve25519 for public keys; AES-GCM,
// chacha20poly1305 and HKDF for the faster ciphers.
//
// # Handshake
//
// The client sends HELLO with a transient public key and 72 octets of
// anti-amplification padding; the server answers WELCOME with its own
// transient key and a cookie sealed under a key made for that one
// handshake and forgotten after it; the client sends INITIATE with the
// cookie, its long-term key and a vouch; the server checks the vouch, asks
// [Server.Authorize] whether that long-term key may connect, and answers
// READY. Afterwards every frame travels as a MESSAGE box whose short nonce
// must strictly increase, so a replayed or reordered box ends the
// connection.
//
// # Faster ciphers
//
// Unless [Client.Classic] is set, the client offers AES-256-GCM and
// ChaCha20-Poly1305 in its INITIATE metadata; a Go server picks one and
// names it in READY, and the MESSAGE boxes then use it, under keys derived
// from the session key, in RFC 26's frame layout. libzmq ignores the
// offer, so with it nothing changes. docs/PROTOCOL.md has the details.
package curve
