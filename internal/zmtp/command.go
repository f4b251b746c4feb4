package zmtp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Command names used by this package (RFC 23 §2.5, RFC 37 §2.5-2.7).
const (
	CmdReady = "READY"
	CmdError = "ERROR"
	CmdPing  = "PING"
	CmdPong  = "PONG"
)

// Command is a decoded command frame body: a name of 1 to 255 octets and
// the data that follows it (RFC 23 §2.5).
type Command struct {
	Name string
	Data []byte
}

// ParseCommand splits a command frame body into name and data. Data aliases
// body.
func ParseCommand(body []byte) (Command, error) {
	if len(body) < 1 {
		return Command{}, fmt.Errorf("%w: empty command frame", ErrProtocol)
	}
	n := int(body[0])
	if n == 0 || len(body) < 1+n {
		return Command{}, fmt.Errorf("%w: command name of %d octets in a %d-octet frame", ErrProtocol, n, len(body))
	}
	return Command{Name: string(body[1 : 1+n]), Data: body[1+n:]}, nil
}

// AppendCommandBody appends a command body (name size, name, data) to dst.
func AppendCommandBody(dst []byte, name string, data []byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	return append(dst, data...)
}

// AppendCommandFrame appends a complete command frame to dst.
func AppendCommandFrame(dst []byte, name string, data []byte) []byte {
	dst = AppendFrameHeader(dst, FlagCommand, uint64(1+len(name)+len(data)))
	return AppendCommandBody(dst, name, data)
}

// Property is one metadata property (RFC 23 §2.5.1).
type Property struct {
	Name  string
	Value []byte
}

// Metadata is an ordered list of properties as carried by READY and by
// CURVE's INITIATE and READY.
type Metadata []Property

// Metadata property names used by ZeroMQ.
const (
	PropSocketType = "Socket-Type"
	PropIdentity   = "Identity"
)

// Get returns the value of the first property whose name matches name
// case-insensitively, and whether there was one.
func (m Metadata) Get(name string) ([]byte, bool) {
	for _, p := range m {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return nil, false
}

// Append encodes m and appends it to dst.
func (m Metadata) Append(dst []byte) []byte {
	for _, p := range m {
		dst = append(dst, byte(len(p.Name)))
		dst = append(dst, p.Name...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Value)))
		dst = append(dst, p.Value...)
	}
	return dst
}

// ParseMetadata decodes a property list. Values alias b.
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || len(b) < 1+n+4 {
			return nil, fmt.Errorf("%w: truncated metadata property", ErrProtocol)
		}
		name := b[1 : 1+n]
		for _, c := range name {
			if !isPropertyNameChar(c) {
				return nil, fmt.Errorf("%w: bad character %#x in property name", ErrProtocol, c)
			}
		}
		vlen := binary.BigEndian.Uint32(b[1+n:])
		rest := b[1+n+4:]
		if uint64(vlen) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: property %q claims %d octets, %d left", ErrProtocol, name, vlen, len(rest))
		}
		m = append(m, Property{Name: string(name), Value: rest[:vlen]})
		b = rest[vlen:]
	}
	return m, nil
}

// isPropertyNameChar reports whether c may appear in a property name
// (RFC 23 §2.5.1).
func isPropertyNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '+'
}

// Ping is a decoded PING command (RFC 37 §2.7).
type Ping struct {
	// TTL is the peer's time-to-live in tenths of a second; 0 means none.
	TTL uint16
	// Context is echoed in the PONG; at most 16 octets.
	Context []byte
}

// ParsePing decodes the data of a PING command.
func ParsePing(data []byte) (Ping, error) {
	if len(data) < 2 || len(data) > 2+16 {
		return Ping{}, fmt.Errorf("%w: PING with %d octets of data", ErrProtocol, len(data))
	}
	return Ping{TTL: binary.BigEndian.Uint16(data), Context: data[2:]}, nil
}

// AppendPingData appends the data of a PING command to dst.
func AppendPingData(dst []byte, p Ping) []byte {
	dst = binary.BigEndian.AppendUint16(dst, p.TTL)
	return append(dst, p.Context...)
}

// ParseError decodes the data of an ERROR command: a reason of 0 to 255
// octets preceded by its length (RFC 37 §2.6).
func ParseError(data []byte) (string, error) {
	if len(data) < 1 || int(data[0]) != len(data)-1 {
		return "", fmt.Errorf("%w: malformed ERROR command", ErrProtocol)
	}
	return string(bytes.ToValidUTF8(data[1:], []byte("?"))), nil
}

// AppendErrorData appends the data of an ERROR command carrying reason,
// cut to 255 octets.
func AppendErrorData(dst []byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}
