package wire

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
)

// Shifted data: content-defined chunks (internal/cdc) find the other
// version's data wherever an insertion or a removal moved it, and a block
// is then built from copies of the old file and the octets found nowhere.
const (
	// FeatureCuts is the HELLO feature of servers that answer PutCuts,
	// PutBuild and GetCuts.
	FeatureCuts = "cuts"
	// MaxCutsFile bounds the files whose cuts are asked for: at most
	// MaxCutsFile/cdc.Min+1 cuts (12 MiB of reply). Larger files are
	// matched block by block only.
	MaxCutsFile = 16 << 30
	// CutRecord is the length of one cut: its length (4 octets) and the
	// XXH3-64 of its octets (8), big-endian.
	CutRecord = 12
	// StepRecord is the length of one step of PutBuild: how many octets
	// (8) and where in the old file they start (8), all ones for octets
	// taken from the data frame, big-endian.
	StepRecord = 16
	// MaxSteps bounds the steps of one PutBuild.
	MaxSteps = 2*digest.BlockSize/cdc.Min + 2
)

// PutCuts is [PUT_CUTS, upload_id] -> CutsReply: the cuts of the file a
// delta upload (Put.Delta) started from; none when there is none.
type PutCuts struct{ ID string }

// Command implements Request.
func (PutCuts) Command() string { return CmdPutCuts }

// Args implements Request.
func (m PutCuts) Args() [][]byte { return [][]byte{[]byte(m.ID)} }

// ParsePutCuts decodes the arguments.
func ParsePutCuts(args [][]byte) (PutCuts, error) {
	if len(args) < 1 {
		return PutCuts{}, Refusal(ErrMissingArguments)
	}
	return PutCuts{ID: string(args[0])}, nil
}

// GetCuts is [GET_CUTS, handle] -> CutsReply: the cuts of the file a GET
// opened.
type GetCuts struct{ Handle string }

// Command implements Request.
func (GetCuts) Command() string { return CmdGetCuts }

// Args implements Request.
func (m GetCuts) Args() [][]byte { return [][]byte{[]byte(m.Handle)} }

// ParseGetCuts decodes the arguments.
func ParseGetCuts(args [][]byte) (GetCuts, error) {
	if len(args) < 1 {
		return GetCuts{}, Refusal(ErrSessionNotFound)
	}
	return GetCuts{Handle: string(args[0])}, nil
}

// CutsReply is [OK, size, cuts]: a file of size octets cut into chunks,
// in order (their offsets follow from their lengths).
type CutsReply struct {
	Size   int64
	Chunks []cdc.Chunk
}

// Frames encodes m.
func (m CutsReply) Frames() [][]byte {
	b := make([]byte, 0, len(m.Chunks)*CutRecord)
	for _, c := range m.Chunks {
		b = binary.BigEndian.AppendUint32(b, uint32(c.Len))
		b = binary.BigEndian.AppendUint64(b, c.Sum)
	}
	return [][]byte{[]byte(ReplyOK), Itoa(m.Size), b}
}

// ParseCutsReply decodes the reply to req: a size of at most MaxCutsFile,
// cuts of 1 to cdc.Max octets that add up to it.
func ParseCutsReply(frames [][]byte, req string) (CutsReply, error) {
	if status(frames) != ReplyOK || len(frames) < 3 {
		return CutsReply{}, fmt.Errorf("%s answered %q", req, status(frames))
	}
	size, ok := Count(frames[1])
	if !ok || size > MaxCutsFile {
		return CutsReply{}, fmt.Errorf("%s answered a size of %q (at most %d)", req, frames[1], int64(MaxCutsFile))
	}
	raw := frames[2]
	if len(raw)%CutRecord != 0 || int64(len(raw)/CutRecord) > size/cdc.Min+1 {
		return CutsReply{}, fmt.Errorf("%s answered %d octets of cuts for %d octets", req, len(raw), size)
	}
	m := CutsReply{Size: size, Chunks: make([]cdc.Chunk, 0, len(raw)/CutRecord)}
	var off int64
	for i := 0; i < len(raw); i += CutRecord {
		n := int64(binary.BigEndian.Uint32(raw[i:]))
		if n == 0 || n > cdc.Max || off+n > size {
			return CutsReply{}, fmt.Errorf("%s answered a cut of %d octets at %d of %d", req, n, off, size)
		}
		m.Chunks = append(m.Chunks, cdc.Chunk{Off: off, Len: n, Sum: binary.BigEndian.Uint64(raw[i+4:])})
		off += n
	}
	if off != size {
		return CutsReply{}, fmt.Errorf("%s answered cuts of %d octets for %d", req, off, size)
	}
	return m, nil
}

// PutBuild is [PUT_BUILD, upload_id, block, block_hash, steps, data] ->
// [OK, block]: the server writes block of the upload step by step, from the file
// the upload started from (the one PutCuts described) or from data, in
// order, and holds the block only if it then hashes to block_hash.
type PutBuild struct {
	ID    string
	Block int64
	Sum   digest.Sum
	Steps []cdc.Op // Off is relative to the block; Src is cdc.Literal or an offset in the old file
	Data  []byte   // the literal steps' octets, in order
}

// Command implements Request.
func (PutBuild) Command() string { return CmdPutBuild }

// Args implements Request.
func (m PutBuild) Args() [][]byte {
	steps := make([]byte, 0, len(m.Steps)*StepRecord)
	for _, s := range m.Steps {
		steps = binary.BigEndian.AppendUint64(steps, uint64(s.N))
		src := uint64(math.MaxUint64)
		if s.Src != cdc.Literal {
			src = uint64(s.Src)
		}
		steps = binary.BigEndian.AppendUint64(steps, src)
	}
	return [][]byte{[]byte(m.ID), Itoa(m.Block), m.Sum[:], steps, m.Data}
}

// ParsePutBuild decodes the arguments: 1 to MaxSteps steps, none empty,
// that add up to at most a block, the literal ones to data's length. The
// block's length and the sources' bounds are checked by the server, which
// knows the files.
func ParsePutBuild(args [][]byte) (PutBuild, error) {
	if len(args) < 5 {
		return PutBuild{}, Refusal(ErrMissingArguments)
	}
	block, ok := Count(args[1])
	if !ok || len(args[2]) != digest.Size {
		return PutBuild{}, Refusal("invalid block or block hash")
	}
	raw := args[3]
	if len(raw) == 0 || len(raw)%StepRecord != 0 || len(raw)/StepRecord > MaxSteps {
		return PutBuild{}, Refusal(fmt.Sprintf("%d octets of steps (1 to %d steps of %d)", len(raw), MaxSteps, StepRecord))
	}
	m := PutBuild{ID: string(args[0]), Block: block, Data: args[4]}
	copy(m.Sum[:], args[2])
	var off, lit int64
	for i := 0; i < len(raw); i += StepRecord {
		n, src := binary.BigEndian.Uint64(raw[i:]), binary.BigEndian.Uint64(raw[i+8:])
		if n == 0 || n > digest.BlockSize || uint64(off)+n > digest.BlockSize || (src != math.MaxUint64 && src > math.MaxInt64-n) {
			return PutBuild{}, Refusal(fmt.Sprintf("invalid step of %d octets at %d", n, off))
		}
		s := cdc.Op{Off: off, N: int64(n), Src: cdc.Literal}
		if src != math.MaxUint64 {
			s.Src = int64(src)
		} else {
			lit += s.N
		}
		m.Steps = append(m.Steps, s)
		off += s.N
	}
	if lit != int64(len(m.Data)) {
		return PutBuild{}, Refusal(fmt.Sprintf("%d literal octets in the steps, %d in the data", lit, len(m.Data)))
	}
	return m, nil
}
