package wire

import (
	"fmt"

	"github.com/flaxfile/flaxfile/internal/digest"
)

// Patching: a block the server holds with other content (a delta upload's
// block that changed) can be mended piece by piece instead of sent whole.
const (
	// FeaturePatch is the HELLO feature of servers that take PutSums and
	// PutPatch.
	FeaturePatch = "patch"
	// PatchPiece is the size of the pieces a block is compared and mended
	// in.
	PatchPiece = 64 << 10
	// MaxSumsBlocks bounds the blocks of one PutSums.
	MaxSumsBlocks = 256
)

// Pieces is the number of PatchPiece pieces of a block of n octets.
func Pieces(n int64) int64 { return (n + PatchPiece - 1) / PatchPiece }

// PutSums is [PUT_SUMS, upload_id, block...] -> SumsReply: the hashes
// of the pieces of blocks the upload holds.
type PutSums struct {
	ID     string
	Blocks []int64
}

// Command implements Request.
func (PutSums) Command() string { return CmdPutSums }

// Args implements Request.
func (m PutSums) Args() [][]byte {
	args := [][]byte{[]byte(m.ID)}
	for _, b := range m.Blocks {
		args = append(args, Itoa(b))
	}
	return args
}

// ParsePutSums decodes the arguments: one to MaxSumsBlocks block indexes.
func ParsePutSums(args [][]byte) (PutSums, error) {
	id, blocks, err := parseSums(args)
	return PutSums{ID: id, Blocks: blocks}, err
}

// GetSums is [GET_SUMS, handle, block...] -> SumsReply: the hashes of the
// pieces of blocks of a file a GET opened, so that a client whose copy of
// a block differs fetches only the pieces that do.
type GetSums struct {
	Handle string
	Blocks []int64
}

// Command implements Request.
func (GetSums) Command() string { return CmdGetSums }

// Args implements Request.
func (m GetSums) Args() [][]byte { return PutSums{ID: m.Handle, Blocks: m.Blocks}.Args() }

// ParseGetSums decodes the arguments: one to MaxSumsBlocks block indexes.
func ParseGetSums(args [][]byte) (GetSums, error) {
	h, blocks, err := parseSums(args)
	return GetSums{Handle: h, Blocks: blocks}, err
}

// parseSums decodes [id, block...] with one to MaxSumsBlocks blocks.
func parseSums(args [][]byte) (string, []int64, error) {
	if len(args) < 2 {
		return "", nil, Refusal(ErrMissingArguments)
	}
	if len(args)-1 > MaxSumsBlocks {
		return "", nil, Refusal(fmt.Sprintf("more than %d blocks", MaxSumsBlocks))
	}
	blocks := make([]int64, 0, len(args)-1)
	for _, a := range args[1:] {
		n, ok := Count(a)
		if !ok {
			return "", nil, Refusal(fmt.Sprintf("invalid block %q", a))
		}
		blocks = append(blocks, n)
	}
	return string(args[0]), blocks, nil
}

// SumsReply, the reply to GetBlocks, GetSums and PutSums, is [OK,
// hashes]: 16 octets per block or piece asked for, in order.
type SumsReply struct{ Sums []digest.Sum }

// Frames encodes m.
func (m SumsReply) Frames() [][]byte {
	b := make([]byte, 0, len(m.Sums)*digest.Size)
	for _, s := range m.Sums {
		b = append(b, s[:]...)
	}
	return [][]byte{[]byte(ReplyOK), b}
}

// ParseSumsReply decodes the reply to req, which must hold exactly want
// hashes; a want over most (the request's own bound) is refused before
// anything is allocated.
func ParseSumsReply(frames [][]byte, req string, want, most int64) (SumsReply, error) {
	if status(frames) != ReplyOK || len(frames) < 2 {
		return SumsReply{}, fmt.Errorf("%s answered %q", req, status(frames))
	}
	if want > most || int64(len(frames[1])) != want*digest.Size {
		return SumsReply{}, fmt.Errorf("%s answered %d octets of hashes, want %d hashes", req, len(frames[1]), want)
	}
	m := SumsReply{Sums: make([]digest.Sum, want)}
	for i := range m.Sums {
		copy(m.Sums[i][:], frames[1][i*digest.Size:])
	}
	return m, nil
}

// MaxSums bounds the hashes of a PutSums or GetSums reply.
const MaxSums = MaxSumsBlocks * digest.BlockSize / PatchPiece

// Piece is a run of a block to overwrite: at Off (a multiple of
// PatchPiece) within the block, at most PatchPiece octets.
type Piece struct {
	Off  int64
	Data []byte
}

// PutPatch is [PUT_PATCH, upload_id, block, block_hash, (offset, data)...]
// -> [OK]: the server overwrites the pieces of a block it holds and holds
// it again only if the whole block then hashes to block_hash.
type PutPatch struct {
	ID     string
	Block  int64
	Sum    digest.Sum
	Pieces []Piece
}

// Command implements Request.
func (PutPatch) Command() string { return CmdPutPatch }

// Args implements Request.
func (m PutPatch) Args() [][]byte {
	args := [][]byte{[]byte(m.ID), Itoa(m.Block), m.Sum[:]}
	for _, p := range m.Pieces {
		args = append(args, Itoa(p.Off), p.Data)
	}
	return args
}

// ParsePutPatch decodes the arguments: pieces in increasing order, each on
// a piece boundary of a block, not empty, at most PatchPiece octets. The
// block's length is checked by the server, which knows the file's size.
func ParsePutPatch(args [][]byte) (PutPatch, error) {
	if len(args) < 5 || (len(args)-3)%2 != 0 {
		return PutPatch{}, Refusal(ErrMissingArguments)
	}
	block, ok := Count(args[1])
	if !ok || len(args[2]) != digest.Size {
		return PutPatch{}, Refusal("invalid block or block hash")
	}
	m := PutPatch{ID: string(args[0]), Block: block}
	copy(m.Sum[:], args[2])
	if n := int64(len(args)-3) / 2; n > Pieces(digest.BlockSize) {
		return PutPatch{}, Refusal(fmt.Sprintf("%d pieces: a block has %d", n, Pieces(digest.BlockSize)))
	}
	next := int64(0)
	for i := 3; i < len(args); i += 2 {
		off, ok := Count(args[i])
		data := args[i+1]
		if !ok || off < next || off%PatchPiece != 0 || off >= digest.BlockSize || len(data) == 0 || len(data) > PatchPiece {
			return PutPatch{}, Refusal(fmt.Sprintf("invalid piece at %q of %d octets", args[i], len(data)))
		}
		m.Pieces = append(m.Pieces, Piece{Off: off, Data: data})
		next = off + PatchPiece
	}
	return m, nil
}
