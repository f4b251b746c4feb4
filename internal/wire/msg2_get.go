package wire

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// FileInfo is what FlaxFile 2 says of a stored file: size, time in
// nanoseconds since the epoch, permission bits and file hash (hex).
type FileInfo struct {
	Size, MTime int64
	Mode        uint32
	Sum         string
}

// parts encodes f as four frames.
func (f FileInfo) parts() []zmtp.Part {
	return []zmtp.Part{{Data: Itoa(f.Size)}, {Data: Itoa(f.MTime)}, {Data: Itoa(int64(f.Mode))}, {Data: []byte(f.Sum)}}
}

// parseFileInfo decodes four frames: numbers not negative, a well-formed
// hash; the mode keeps its permission bits.
func parseFileInfo(frames [][]byte, what string) (FileInfo, error) {
	var v [3]int64
	for i := range v {
		n, err := ParseInt(frames[i])
		if err != nil || n < 0 {
			return FileInfo{}, fmt.Errorf("%s: field %d is %q", what, 1+i, frames[i])
		}
		v[i] = n
	}
	f := FileInfo{Size: v[0], MTime: v[1], Mode: uint32(v[2] & 0o777), Sum: string(frames[3])}
	if _, err := digest.Parse(f.Sum); err != nil {
		return FileInfo{}, fmt.Errorf("%s: %v", what, err)
	}
	return f, nil
}

// Get is [GET, key, most?] -> GetReply. With Most, a file of at most
// that many octets (and at most MaxSmallFile) comes whole in the reply.
type Get struct {
	Key  string
	Most int64
}

// Command implements Request.
func (Get) Command() string { return CmdGet }

// Args implements Request.
func (m Get) Args() [][]byte {
	if m.Most > 0 {
		return [][]byte{[]byte(m.Key), Itoa(m.Most)}
	}
	return [][]byte{[]byte(m.Key)}
}

// ParseGet decodes the arguments; Key is as sent.
func ParseGet(args [][]byte) (Get, error) {
	if len(args) < 1 {
		return Get{}, Refusal(ErrMissingFileKey)
	}
	key, err := DecodeUTF8(args[0])
	if err != nil {
		return Get{}, refuse(err)
	}
	most, _ := Count(arg(args, 1))
	return Get{Key: key, Most: most}, nil
}

// GetReply is [OK, handle, size, mtime_ns, mode, hash, data?]: a handle
// for GET_RANGE, or (Whole) no handle and the file itself.
type GetReply struct {
	Handle string
	File   FileInfo
	Whole  bool
	Data   []byte
}

// Parts encodes m, data being the whole file's part when m.Whole.
func (m GetReply) Parts(data zmtp.Part) []zmtp.Part {
	p := append([]zmtp.Part{{Data: []byte(ReplyOK)}, {Data: []byte(m.Handle)}}, m.File.parts()...)
	if m.Whole {
		p = append(p, data)
	}
	return p
}

// ParseGetReply decodes a reply to GET.
func ParseGetReply(frames [][]byte) (GetReply, error) {
	if status(frames) != ReplyOK || len(frames) < 6 {
		return GetReply{}, fmt.Errorf("%s answered %q", CmdGet, status(frames))
	}
	f, err := parseFileInfo(frames[2:6], CmdGet+" reply")
	if err != nil {
		return GetReply{}, err
	}
	m := GetReply{Handle: string(frames[1]), File: f}
	if m.Handle == "" {
		if len(frames) < 7 {
			return GetReply{}, fmt.Errorf("%s answered without a handle or the file", CmdGet)
		}
		m.Whole, m.Data = true, frames[6]
	}
	return m, nil
}

// GetRange is [GET_RANGE, handle, offset, length] -> [DATA, offset,
// data] (Numbered).
type GetRange struct {
	Handle      string
	Offset, Len int64
	// Squeeze, when not empty, asks a server with FeatureZstd to send the
	// range as a zstd frame made at that level ("fast" or "strong"), if
	// it shrinks: the reply is then [DATA, offset, frame, CodecZstd].
	Squeeze string
	// OffsetFrame is the offset as received, for the echo.
	OffsetFrame []byte
}

// Command implements Request.
func (GetRange) Command() string { return CmdGetRange }

// Args implements Request.
func (m GetRange) Args() [][]byte {
	args := [][]byte{[]byte(m.Handle), Itoa(m.Offset), Itoa(m.Len)}
	if m.Squeeze != "" {
		args = append(args, []byte(m.Squeeze))
	}
	return args
}

// ParseGetRange decodes the arguments; a range it cannot read is refused
// with size, the file's, once the handle is known (CheckRange).
func ParseGetRange(args [][]byte) (GetRange, error) {
	if len(args) < 3 {
		return GetRange{}, Refusal(ErrMissingArguments)
	}
	m := GetRange{Handle: string(args[0]), OffsetFrame: args[1], Offset: -1, Len: -1}
	if n, ok := Count(args[1]); ok {
		m.Offset = n
	}
	if n, ok := Count(args[2]); ok {
		m.Len = n
	}
	if len(args) > 3 {
		m.Squeeze = string(args[3])
	}
	return m, nil
}

// CheckRange refuses a range that is malformed, longer than MaxChunk2,
// or not inside a file of size octets.
func (m GetRange) CheckRange(size int64) error {
	if m.Offset < 0 || m.Len < 0 || m.Len > MaxChunk2 || m.Offset > size || m.Len > size-m.Offset {
		return Refusal(fmt.Sprintf("invalid range %d+%d of a %d-octet file", m.Offset, m.Len, size))
	}
	return nil
}

// GetEnd is [GET_END, handle] -> [OK]: the server drops the handle.
type GetEnd struct{ Handle string }

// Command implements Request.
func (GetEnd) Command() string { return CmdGetEnd }

// Args implements Request.
func (m GetEnd) Args() [][]byte { return [][]byte{[]byte(m.Handle)} }

// ParseGetEnd decodes the arguments.
func ParseGetEnd(args [][]byte) (GetEnd, error) {
	if len(args) < 1 {
		return GetEnd{}, Refusal(ErrSessionNotFound)
	}
	return GetEnd{Handle: string(args[0])}, nil
}

// FeatureDeltaGet is the HELLO feature of servers that answer GetBlocks.
const FeatureDeltaGet = "delta_get"

// MaxGetBlocks bounds the blocks GetBlocks answers for (a file of 1 TiB):
// larger files are downloaded whole, their reply never sized by a number
// a peer sent.
const MaxGetBlocks = 1 << 18

// GetBlocks is [GET_BLOCKS, handle] -> SumsReply: the hashes of the
// blocks of the file a GET opened, so that a client holding an older copy
// fetches only the blocks that differ.
type GetBlocks struct{ Handle string }

// Command implements Request.
func (GetBlocks) Command() string { return CmdGetBlocks }

// Args implements Request.
func (m GetBlocks) Args() [][]byte { return [][]byte{[]byte(m.Handle)} }

// ParseGetBlocks decodes the arguments.
func ParseGetBlocks(args [][]byte) (GetBlocks, error) {
	if len(args) < 1 {
		return GetBlocks{}, Refusal(ErrSessionNotFound)
	}
	return GetBlocks{Handle: string(args[0])}, nil
}
