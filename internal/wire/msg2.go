package wire

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/digest"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Hello is [HELLO, version] -> [OK, version, features JSON].
type Hello struct{ Version string }

// Command implements Request.
func (Hello) Command() string { return CmdHello }

// Args implements Request.
func (m Hello) Args() [][]byte { return [][]byte{[]byte(m.Version)} }

// ParseHello decodes the arguments; only Version2 is spoken.
func ParseHello(args [][]byte) (Hello, error) {
	if string(arg(args, 0)) != Version2 {
		return Hello{}, Refusal("unsupported protocol version")
	}
	return Hello{Version: Version2}, nil
}

// HelloReply is [OK, version, features JSON].
type HelloReply struct {
	Version  string
	Features []byte
}

// Frames encodes m.
func (m HelloReply) Frames() [][]byte {
	return [][]byte{[]byte(ReplyOK), []byte(m.Version), m.Features}
}

// ParseHelloReply decodes a reply to HELLO that speaks Version2.
func ParseHelloReply(frames [][]byte) (HelloReply, error) {
	if status(frames) != ReplyOK || string(arg(frames, 1)) != Version2 {
		return HelloReply{}, fmt.Errorf("%s answered %q", CmdHello, status(frames))
	}
	return HelloReply{Version: Version2, Features: arg(frames, 2)}, nil
}

// Put is [PUT, key, size, chunk, mtime_ns, mode, upload id, ("delta")]
// -> PutReply. With "delta" (a server that lists the feature), a fresh
// upload of a key that holds a file starts from that file: its blocks
// that can stand where they are in the new file are copied into the
// upload and listed in the reply as held, so that the client sends only
// the blocks that differ. Servers without the feature ignore it.
type Put struct {
	Key                string
	Size, Chunk, MTime int64
	Mode               uint32
	ID                 string
	Delta              bool
}

// FeatureDelta is the HELLO feature of servers that take Put.Delta.
const FeatureDelta = "delta"

// FeaturesOn returns the features of a HELLO reply (a JSON object) that
// are turned on. Anything unreadable turns nothing on.
func (m HelloReply) FeaturesOn() map[string]bool {
	var f map[string]any
	if len(m.Features) > MaxFeatures || json.Unmarshal(m.Features, &f) != nil {
		return nil
	}
	on := map[string]bool{}
	for name, v := range f {
		if b, _ := v.(bool); b {
			on[name] = true
		}
	}
	return on
}

// FeaturePartChunk is the HELLO feature by which a server whose store
// keeps uploads as parts (an object store's multipart upload) asks for
// chunks of that many octets: each then travels straight into one part.
const FeaturePartChunk = "part_chunk"

// PartChunk returns the chunk size the server asks uploads to use
// (FeaturePartChunk), or 0 when it asks none or asks one that is not
// whole blocks of at most MaxChunk2.
func (m HelloReply) PartChunk() int64 {
	var f map[string]any
	if len(m.Features) > MaxFeatures || json.Unmarshal(m.Features, &f) != nil {
		return 0
	}
	v, _ := f[FeaturePartChunk].(float64)
	n := int64(v)
	if float64(n) != v || n <= 0 || n%digest.BlockSize != 0 || n > MaxChunk2 {
		return 0
	}
	return n
}

// FeatureNamespace is the HELLO feature by which a server whose store
// other servers share (an object store's bucket) names what it holds:
// servers of one namespace hold the same files and the same partial
// uploads, and a client that knows several may spread one transfer over
// them.
const FeatureNamespace = "namespace"

// MaxNamespace bounds the namespace a client takes from HELLO.
const MaxNamespace = 256

// Namespace returns the namespace the server names (FeatureNamespace),
// or "" when it names none or one that is empty, too long or not
// printable ASCII.
func (m HelloReply) Namespace() string {
	var f map[string]any
	if len(m.Features) > MaxFeatures || json.Unmarshal(m.Features, &f) != nil {
		return ""
	}
	v, _ := f[FeatureNamespace].(string)
	if len(v) > MaxNamespace {
		return ""
	}
	for i := range len(v) {
		if v[i] < 0x21 || v[i] > 0x7e {
			return ""
		}
	}
	return v
}

// MaxFeatures bounds the HELLO features a client reads.
const MaxFeatures = 64 << 10

// Command implements Request.
func (Put) Command() string { return CmdPut }

// Args implements Request.
func (m Put) Args() [][]byte {
	args := [][]byte{[]byte(m.Key), Itoa(m.Size), Itoa(m.Chunk), Itoa(m.MTime), Itoa(int64(m.Mode)), []byte(m.ID)}
	if m.Delta {
		args = append(args, []byte(FeatureDelta))
	}
	return args
}

// ParsePut decodes and checks the arguments. Key is as sent.
func ParsePut(args [][]byte) (Put, error) {
	var m Put
	if len(args) < 6 {
		return m, Refusal(ErrMissingArguments)
	}
	key, err := DecodeUTF8(args[0])
	if err != nil {
		return m, refuse(err)
	}
	var v [4]int64
	for i := range v {
		var ok bool
		if v[i], ok = Count(args[1+i]); !ok {
			return m, Refusal(fmt.Sprintf("invalid %s", [...]string{"size", "chunk size", "mtime", "mode"}[i]))
		}
	}
	m = Put{Key: key, Size: v[0], Chunk: v[1], MTime: v[2], ID: string(args[5]), Delta: len(args) > 6 && string(args[6]) == FeatureDelta}
	switch {
	case m.Size > MaxFileSize:
		return m, Refusal(ErrInvalidFileSize)
	case m.Chunk <= 0 || m.Chunk > MaxChunk2 || m.Chunk%digest.BlockSize != 0:
		return m, Refusal(fmt.Sprintf("invalid chunk size %d: a multiple of %d up to %d", m.Chunk, digest.BlockSize, MaxChunk2))
	case v[3] > 0o7777:
		return m, Refusal("invalid mode")
	case len(m.ID) != UploadIDLen:
		return m, Refusal("invalid upload id")
	}
	m.Mode = uint32(v[3])
	return m, nil
}

// Block is a block the server holds of an upload: its index and hash.
type Block struct {
	Index int64
	Sum   digest.Sum
}

// PutReply is [OK, upload id, have]: have is HaveRecord octets per block
// held (8-octet big-endian index, 16-octet hash).
type PutReply struct {
	ID   string
	Have []Block
}

// Frames encodes m.
func (m PutReply) Frames() [][]byte {
	have := make([]byte, 0, len(m.Have)*HaveRecord)
	for _, b := range m.Have {
		have = binary.BigEndian.AppendUint64(have, uint64(b.Index))
		have = append(have, b.Sum[:]...)
	}
	return [][]byte{[]byte(ReplyOK), []byte(m.ID), have}
}

// ParsePutReply decodes a reply to PUT; blocks is the upload's block
// count, which no index may reach.
func ParsePutReply(frames [][]byte, blocks int64) (PutReply, error) {
	if status(frames) != ReplyOK || len(frames) < 3 || len(frames[2])%HaveRecord != 0 {
		return PutReply{}, fmt.Errorf("%s answered %q", CmdPut, status(frames))
	}
	m := PutReply{ID: string(frames[1])}
	for b := frames[2]; len(b) > 0; b = b[HaveRecord:] {
		i := int64(binary.BigEndian.Uint64(b))
		if i < 0 || i >= blocks {
			return PutReply{}, fmt.Errorf("%s: the server holds block %d of %d", CmdPut, i, blocks)
		}
		var s digest.Sum
		copy(s[:], b[8:HaveRecord])
		m.Have = append(m.Have, Block{Index: i, Sum: s})
	}
	return m, nil
}

// PutChunk is [PUT_CHUNK, upload id, offset, data, hashes] -> [ACK,
// offset]; Hashes are the 16-octet hashes of data's blocks.
type PutChunk struct {
	ID     string
	Offset int64
	Data   []byte
	Hashes []byte
	// Codec is CodecZstd when Data is the chunk's zstd frame (servers
	// with FeatureZstd), else empty. The chunk's length follows from
	// Hashes: as many whole blocks as hashes, the file's last one short.
	Codec string
	// OffsetFrame is the offset as received, for the echo.
	OffsetFrame []byte
}

// Command implements Request.
func (PutChunk) Command() string { return CmdPutChunk }

// Args implements Request.
func (m PutChunk) Args() [][]byte {
	args := [][]byte{[]byte(m.ID), Itoa(m.Offset), m.Data, m.Hashes}
	if m.Codec != "" {
		args = append(args, []byte(m.Codec))
	}
	return args
}

// ParsePutChunk decodes the arguments; the server finds the session
// (ID) before it reads the rest, so a missing session is answered first.
func ParsePutChunk(args [][]byte) (PutChunk, error) {
	if len(args) < 4 {
		return PutChunk{}, Refusal(ErrMissingArguments)
	}
	m := PutChunk{ID: string(args[0]), Data: args[2], Hashes: args[3], OffsetFrame: args[1]}
	var ok bool
	if m.Offset, ok = Count(args[1]); !ok {
		return m, Refusal("invalid offset")
	}
	if len(args) > 4 {
		if string(args[4]) != CodecZstd {
			return m, Refusal(fmt.Sprintf("unknown codec %q", args[4]))
		}
		m.Codec = CodecZstd
	}
	return m, nil
}

// PutEnd is [PUT_END, upload id, file hash] -> [OK, PutResult JSON].
type PutEnd struct {
	ID  string
	Sum digest.Sum
}

// Command implements Request.
func (PutEnd) Command() string { return CmdPutEnd }

// Args implements Request.
func (m PutEnd) Args() [][]byte { return [][]byte{[]byte(m.ID), []byte(m.Sum.String())} }

// ParsePutEnd decodes the arguments.
func ParsePutEnd(args [][]byte) (PutEnd, error) {
	if len(args) < 2 {
		return PutEnd{}, Refusal(ErrMissingArguments)
	}
	sum, err := digest.Parse(string(args[1]))
	if err != nil {
		return PutEnd{ID: string(args[0])}, refuse(err)
	}
	return PutEnd{ID: string(args[0]), Sum: sum}, nil
}

// PutEndReply is [OK, PutResult JSON].
type PutEndReply struct{ Result PutResult }

// Frames encodes m.
func (m PutEndReply) Frames() [][]byte {
	out, _ := json.Marshal(m.Result)
	return [][]byte{[]byte(ReplyOK), out}
}

// ParsePutEndReply decodes a reply to PUT_END.
func ParsePutEndReply(frames [][]byte) (PutEndReply, error) {
	var m PutEndReply
	if status(frames) != ReplyOK || len(frames) < 2 || json.Unmarshal(frames[1], &m.Result) != nil {
		return m, fmt.Errorf("%s answered %q", CmdPutEnd, status(frames))
	}
	return m, nil
}

// Parts encodes m as a client sends it (delimiter first), its data and
// block hashes as parts, the data possibly a file region sent without
// copying.
func (m PutChunk) Parts(data, hashes zmtp.Part) []zmtp.Part {
	parts := []zmtp.Part{{Data: Delimiter}, {Data: []byte(CmdPutChunk)}, {Data: []byte(m.ID)}, {Data: Itoa(m.Offset)}, data, hashes}
	if m.Codec != "" {
		parts = append(parts, zmtp.Part{Data: []byte(m.Codec)})
	}
	return parts
}
