package zmtp

import (
	"bufio"
	"fmt"
	"io"
	"net"
)

// Mechanism is a ZMTP security mechanism (RFC 23 §2.6). A Mechanism is a
// configuration: it may be shared by many connections, and Handshake holds
// all per-connection state.
type Mechanism interface {
	// Name is the mechanism name sent in the greeting, e.g. "NULL".
	Name() string
	// AsServer is the as-server field of the greeting.
	AsServer() bool
	// Handshake runs the mechanism's exchange after the greetings. It
	// returns the codec that frames must pass through afterwards, or nil
	// when frames travel as they are.
	Handshake(hs *Handshake) (Codec, error)
}

// Codec transforms frames after a handshake, e.g. CURVE's MESSAGE boxes. Seal
// is only called from the connection's writer goroutine and Open only from
// its reader goroutine, so a codec may keep per-direction state (nonces)
// without locks.
type Codec interface {
	// Cipher names the cipher that seals the frames.
	Cipher() string
	// Overhead is how many octets a frame body carries beyond its payload.
	Overhead() int
	// Seal appends to dst the complete wire form (header included) of one
	// frame with the given flags (FlagMore, FlagCommand) and payload.
	Seal(dst []byte, flags byte, payload []byte) ([]byte, error)
	// Open decodes the body of a frame received after the handshake into
	// dst, which has capacity for len(body) octets, and returns the inner
	// flags and the payload (a sub-slice of dst).
	Open(dst []byte, hdr FrameHeader, body []byte) (flags byte, payload []byte, err error)
}

// FillSealer is a Codec that can seal a payload it reads itself, straight
// into its plaintext buffer, saving a copy of file sections.
type FillSealer interface {
	// SealFill is Seal of n octets that fill writes into the slice it is
	// given.
	SealFill(dst []byte, flags byte, n int, fill func(p []byte) error) ([]byte, error)
}

// InPlaceCodec is a FillSealer that needs no buffer beside the frame's
// own: SealFill writes the payload into dst's storage and encrypts it
// there, and OpenInPlace decrypts a body where it lies.
type InPlaceCodec interface {
	FillSealer
	// OpenInPlace is Open with the payload decoded inside body.
	OpenInPlace(hdr FrameHeader, body []byte) (flags byte, payload []byte, err error)
}

// maxHandshakeCommand bounds any command read during a handshake.
const maxHandshakeCommand = 64 << 10

// Handshake is what a Mechanism sees of a connection while it runs.
type Handshake struct {
	// Peer is the greeting the peer sent.
	Peer Greeting
	// Local is the metadata to send (Socket-Type, Identity).
	Local Metadata
	// Buffers is the connection's buffer pool, for codecs.
	Buffers BufferPool

	r        *bufio.Reader
	w        net.Conn
	peerMeta Metadata
	peerKey  []byte
	hdr      [MaxHeaderSize]byte
}

// ReadCommand reads the next frame, which must be a command of at most
// 64 KiB. The result does not alias any buffer kept by the connection.
func (hs *Handshake) ReadCommand() (Command, error) {
	h, err := ReadFrameHeader(hs.r, &hs.hdr)
	if err != nil {
		return Command{}, noEOF(err)
	}
	if !h.Command() {
		return Command{}, fmt.Errorf("%w: message frame during the handshake", ErrProtocol)
	}
	if h.Size > maxHandshakeCommand {
		return Command{}, fmt.Errorf("%w: handshake command of %d octets", ErrProtocol, h.Size)
	}
	body := make([]byte, h.Size)
	if _, err := io.ReadFull(hs.r, body); err != nil {
		return Command{}, noEOF(err)
	}
	return ParseCommand(body)
}

// WriteCommand writes one command frame.
func (hs *Handshake) WriteCommand(name string, data []byte) error {
	_, err := hs.w.Write(AppendCommandFrame(nil, name, data))
	return err
}

// SendError writes an ERROR command with reason, ignoring failures: it is a
// courtesy before the connection closes.
func (hs *Handshake) SendError(reason string) {
	_ = hs.WriteCommand(CmdError, AppendErrorData(nil, reason))
}

// SetPeer records the metadata the peer sent and, for mechanisms that have
// one, its long-term public key.
func (hs *Handshake) SetPeer(meta Metadata, publicKey []byte) {
	hs.peerMeta = meta
	hs.peerKey = publicKey
}

// PeerErrorOrUnexpected turns a command that the mechanism did not expect into an error:
// a *PeerError for ERROR, a protocol error otherwise.
func PeerErrorOrUnexpected(cmd Command, want string) error {
	if cmd.Name == CmdError {
		reason, err := ParseError(cmd.Data)
		if err != nil {
			return err
		}
		return &PeerError{Reason: reason}
	}
	return fmt.Errorf("%w: got %s, want %s", ErrProtocol, cmd.Name, want)
}

// Null is the NULL security mechanism (RFC 23 §2.6.1): no encryption, no
// authentication, one READY each way.
type Null struct{}

// Name implements Mechanism.
func (Null) Name() string { return "NULL" }

// AsServer implements Mechanism.
func (Null) AsServer() bool { return false }

// Handshake implements Mechanism.
func (Null) Handshake(hs *Handshake) (Codec, error) {
	if err := hs.WriteCommand(CmdReady, hs.Local.Append(nil)); err != nil {
		return nil, err
	}
	cmd, err := hs.ReadCommand()
	if err != nil {
		return nil, err
	}
	if cmd.Name != CmdReady {
		return nil, PeerErrorOrUnexpected(cmd, CmdReady)
	}
	meta, err := ParseMetadata(cmd.Data)
	if err != nil {
		return nil, err
	}
	hs.SetPeer(meta, nil)
	return nil, nil
}
