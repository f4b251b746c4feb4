// Package auth is everything FlaxFile knows about keys, for both sides:
// the server key pair 1.2 derives from a shared password (password.go),
// key files for key-file mode (keyfile.go), the authorized-keys list and
// its rights (authorized.go), and the CURVE server a deployment runs with
// (server.go). The client library and the server both use it; neither
// derives or reads a key any other way.
package auth
