package zmtp

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Frame flag bits (RFC 23 §2.4; RFC 37 §2.4).
const (
	// FlagMore marks a frame that is followed by another frame of the same
	// message.
	FlagMore byte = 0x01
	// FlagLong marks a frame whose size is 8 octets instead of 1.
	FlagLong byte = 0x02
	// FlagCommand marks a command frame rather than a message frame.
	FlagCommand byte = 0x04

	flagReserved byte = 0xF8
)

// MaxHeaderSize is the largest frame header: a flags octet and an 8-octet
// size.
const MaxHeaderSize = 9

// AppendFrameHeader appends the header of a frame of size octets to dst.
// flags may hold FlagMore and FlagCommand; FlagLong is chosen from size
// (RFC 23 §2.4: the short form for sizes up to 255).
func AppendFrameHeader(dst []byte, flags byte, size uint64) []byte {
	flags &^= FlagLong
	if size <= 255 {
		return append(dst, flags, byte(size))
	}
	dst = append(dst, flags|FlagLong)
	return binary.BigEndian.AppendUint64(dst, size)
}

// FrameHeader is a decoded frame header.
type FrameHeader struct {
	// Flags holds FlagMore, FlagLong and FlagCommand.
	Flags byte
	// Size is the length of the body that follows.
	Size uint64
}

// More reports whether another frame of the message follows.
func (h FrameHeader) More() bool { return h.Flags&FlagMore != 0 }

// Command reports whether the frame is a command.
func (h FrameHeader) Command() bool { return h.Flags&FlagCommand != 0 }

// ReadFrameHeader reads one frame header from r, using buf as scratch space
// so that the call does not allocate. It checks the reserved bits and that a
// command frame does not claim FlagMore, but not the size: the caller checks
// that against its limit before it allocates the body.
func ReadFrameHeader(r io.Reader, buf *[MaxHeaderSize]byte) (FrameHeader, error) {
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return FrameHeader{}, err
	}
	h := FrameHeader{Flags: buf[0]}
	if h.Flags&flagReserved != 0 {
		return FrameHeader{}, fmt.Errorf("%w: reserved frame flag bits %#x set", ErrProtocol, h.Flags)
	}
	if h.Command() && h.More() {
		return FrameHeader{}, fmt.Errorf("%w: command frame with MORE set", ErrProtocol)
	}
	if h.Flags&FlagLong == 0 {
		h.Size = uint64(buf[1])
		return h, nil
	}
	if _, err := io.ReadFull(r, buf[2:9]); err != nil {
		return FrameHeader{}, noEOF(err)
	}
	h.Size = binary.BigEndian.Uint64(buf[1:9])
	return h, nil
}

// noEOF turns a clean EOF in the middle of a structure into
// io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
