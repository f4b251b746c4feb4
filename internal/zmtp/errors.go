package zmtp

import (
	"errors"
	"fmt"
)

// ErrProtocol is wrapped by every error caused by bytes that break the
// protocol: a bad greeting, a malformed frame or command, an unexpected
// command.
var ErrProtocol = errors.New("zmtp: protocol violation")

// ErrClosed is returned by operations on a connection or router after Close.
var ErrClosed = errors.New("zmtp: connection closed")

// ErrMessageTooLarge is wrapped when a peer announces a message larger than
// Options.MaxMessageSize.
var ErrMessageTooLarge = errors.New("zmtp: message too large")

// ErrNoPeer is returned by Router.Send for an identity with no connection.
var ErrNoPeer = errors.New("zmtp: no peer with that identity")

// errNoSplice reports that a body could not be spliced and must be read
// through user space.
var errNoSplice = errors.New("zmtp: splice not possible")

// ErrHeartbeat is wrapped when a peer sends nothing within the heartbeat
// timeout.
var ErrHeartbeat = errors.New("zmtp: heartbeat timeout")

// HandshakeError reports a connection whose handshake failed: the greeting,
// the mechanism's exchange or the metadata.
type HandshakeError struct {
	// Mechanism is the local security mechanism ("NULL", "CURVE").
	Mechanism string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("zmtp: %s handshake failed: %v", e.Mechanism, e.Err)
}

// Unwrap returns the cause.
func (e *HandshakeError) Unwrap() error { return e.Err }

// PeerError is the reason a peer gave in an ERROR command (RFC 37 §2.6).
type PeerError struct {
	// Reason is the peer's text, at most 255 octets.
	Reason string
}

// Error implements error.
func (e *PeerError) Error() string { return "zmtp: peer sent ERROR: " + e.Reason }

// MechanismMismatchError reports peers that use different security
// mechanisms, e.g. a plaintext client and an encrypted server.
type MechanismMismatchError struct {
	// Local and Remote are the two mechanism names.
	Local, Remote string
}

// Error implements error.
func (e *MechanismMismatchError) Error() string {
	return fmt.Sprintf("zmtp: security mechanism mismatch: we use %s, the peer uses %s", e.Local, e.Remote)
}
