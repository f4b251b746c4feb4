package flaxfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/flaxfile/flaxfile/internal/wire"
)

// Errors to branch on with errors.Is.
var (
	// ErrNotFound: the server has no file under that key.
	ErrNotFound = errors.New("flaxfile: file not found")
	// ErrInvalidKey: the server refused the key (it escapes the storage,
	// or names its root).
	ErrInvalidKey = errors.New("flaxfile: invalid key")
	// ErrNotAFile: the key names a directory.
	ErrNotAFile = errors.New("flaxfile: not a file")
	// ErrWrongPassword: the encrypted handshake failed, because the
	// password (or server key) is not the server's.
	ErrWrongPassword = errors.New("flaxfile: wrong password or server key")
	// ErrNotAuthorized: the server does not know this client's key, or
	// the operation is beyond the rights its authorized-keys file gives.
	ErrNotAuthorized = errors.New("flaxfile: not authorized")
	// ErrEncryptionMismatch: one side uses encryption and the other does
	// not.
	ErrEncryptionMismatch = errors.New("flaxfile: encryption mismatch")
	// ErrEncryptionRequired: the server requires encryption and the
	// client connected without it (also an ErrEncryptionMismatch).
	ErrEncryptionRequired = fmt.Errorf("%w: the server requires encryption", ErrEncryptionMismatch)
	// ErrTimeout: the server did not answer in time.
	ErrTimeout = errors.New("flaxfile: timed out waiting for the server")
	// ErrProtocol: the server answered something the protocol does not
	// allow.
	ErrProtocol = errors.New("flaxfile: protocol error")
	// ErrIncomplete: a transfer ended with octets missing.
	ErrIncomplete = errors.New("flaxfile: transfer incomplete")
	// ErrChecksum: what arrived is not what was sent.
	ErrChecksum = errors.New("flaxfile: checksum mismatch")
)

// errUploadLost: a FlaxFile 2 upload's session ended, or lost blocks it
// had reported, under the client (an interrupted run of the same upload
// was still landing); a new PUT finds out what is held.
var errUploadLost = errors.New("flaxfile: upload session lost")

// ServerError is an ERROR reply: the server's own words.
type ServerError struct {
	// Command is the request that failed.
	Command string
	// Message is the server's text, e.g. "File not found".
	Message string
}

// Error implements error.
func (e *ServerError) Error() string {
	return "flaxfile: server refused " + e.Command + ": " + e.Message
}

// Is maps the server's words to this package's sentinels, in one table.
func (e *ServerError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Message == wire.ErrFileNotFound
	case ErrInvalidKey:
		return e.Message == wire.ErrInvalidFilePath
	case ErrNotAFile:
		return e.Message == "Not a file" || strings.Contains(e.Message, "Is a directory")
	case ErrNotAuthorized:
		return strings.HasPrefix(e.Message, "Permission denied")
	case errUploadLost:
		return e.Message == wire.ErrSessionNotFound || strings.HasPrefix(e.Message, "upload incomplete") || e.Message == "upload already finished"
	}
	return false
}
