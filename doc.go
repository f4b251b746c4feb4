// Package flaxfile is the client library of FlaxFile, a tool that moves
// files between machines: a server keeps files under keys on one TCP port,
// and clients set, get, list and delete them, or push and pull whole
// directories.
//
// FlaxFile speaks the wire protocol of FlaxFile 1.2 (ZeroMQ DEALER/ROUTER
// over ZMTP 3.1, CurveZMQ when a password is set), so it works with 1.2
// servers and clients, plain and encrypted.
//
// # Keys
//
// A shared password gives encryption: [ServerKeysFromPassword] derives the
// server's key pair from it exactly as 1.2 does, and [Fingerprint] prints
// the public key as 1.2's server logs it.
package flaxfile
