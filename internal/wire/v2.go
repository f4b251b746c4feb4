package wire

import "time"

// FlaxFile 2 commands, spoken between Go peers after the client's first
// request, Hello, is answered OK; a 1.2 server answers ErrUnknownCommand
// and the client goes on with the 1.2 commands. docs/PROTOCOL.md gives
// every frame.
const (
	// CmdHello: [HELLO, version] -> [OK, version, features JSON].
	CmdHello = "FLAXFILE_HELLO"
	// CmdPut: [PUT, key, size, chunk, mtime_ns, mode, upload_id]
	// -> [OK, upload_id, have], have being 24-octet records (8-octet
	// big-endian block index, 16-octet block hash) of blocks already held.
	CmdPut = "FLAXFILE_PUT"
	// CmdPutChunk: [PUT_CHUNK, upload_id, offset, data, hashes]
	// -> [ACK, offset]; hashes are the 16-octet hashes of data's blocks.
	CmdPutChunk = "FLAXFILE_PUT_CHUNK"
	// CmdPutEnd: [PUT_END, upload_id, file_hash hex] -> [OK, result JSON].
	CmdPutEnd = "FLAXFILE_PUT_END"
	// CmdGet: [GET, key] -> [OK, handle, size, mtime_ns, mode, file_hash hex].
	CmdGet = "FLAXFILE_GET"
	// CmdGetRange: [GET_RANGE, handle, offset, length] -> [DATA, offset, data].
	CmdGetRange = "FLAXFILE_GET_RANGE"
	// CmdGetEnd: [GET_END, handle] -> [OK]; the server drops the handle.
	CmdGetEnd = "FLAXFILE_GET_END"
	// CmdGetBlocks: [GET_BLOCKS, handle] -> [OK, hashes]: the 16-octet
	// hash of each block of the handle's file, for a delta download.
	CmdGetBlocks = "FLAXFILE_GET_BLOCKS"
	// CmdPutSums: [PUT_SUMS, upload_id, block...] -> [OK, hashes]: the
	// hashes of the pieces of blocks an upload holds (PutSums).
	CmdPutSums = "FLAXFILE_PUT_SUMS"
	// CmdPutPatch: [PUT_PATCH, upload_id, block, block_hash, (offset,
	// data)...] -> [OK]: mends a block an upload holds (PutPatch).
	CmdPutPatch = "FLAXFILE_PUT_PATCH"
	// CmdGetSums: [GET_SUMS, handle, block...] -> [OK, hashes]: the hashes
	// of the pieces of blocks of a GET's file (GetSums).
	CmdGetSums = "FLAXFILE_GET_SUMS"
	// CmdPutCuts: [PUT_CUTS, upload_id] -> [OK, size, cuts]: the
	// content-defined chunks of the file a delta upload starts from
	// (PutCuts).
	CmdPutCuts = "FLAXFILE_PUT_CUTS"
	// CmdPutBuild: [PUT_BUILD, upload_id, block, block_hash, steps, data]
	// -> [OK, block]: builds a block of an upload from the old file and data
	// (PutBuild).
	CmdPutBuild = "FLAXFILE_PUT_BUILD"
	// CmdGetCuts: [GET_CUTS, handle] -> [OK, size, cuts]: the
	// content-defined chunks of a GET's file (GetCuts).
	CmdGetCuts = "FLAXFILE_GET_CUTS"
)

// FlaxFile 2 replies beyond 1.2's.
const (
	ReplyData = "DATA"
)

// Version2 is the protocol version a Hello names.
const Version2 = "2"

// Limits of FlaxFile 2.
const (
	// MaxChunk2 is the largest chunk of a PUT or GET_RANGE: 16 MiB.
	MaxChunk2 = 16 << 20
	// UploadIDLen is the length of an upload id: 32 hex digits.
	UploadIDLen = 32
	// HaveRecord is the length of one record of PUT's have frame.
	HaveRecord = 24
)

// PutResult is the JSON of PUT_END's OK.
type PutResult struct {
	Key           string `json:"key"`
	Size          int64  `json:"size"`
	Hash          string `json:"xxh3_128_blocks"`
	BytesReceived int64  `json:"bytes_received"`
}

// FlaxFile 2 listing, in pages: the first request opens a cursor on the
// server, which walks the store as pages are asked for (constant memory
// for any number of keys).
const (
	// CmdList2: [LIST, prefix, hashes "0"|"1", page size]
	// -> [OK, cursor, more "0"|"1", entries].
	CmdList2 = "FLAXFILE_LIST"
	// CmdListNext: [LIST_NEXT, cursor] -> [OK, cursor, more, entries].
	CmdListNext = "FLAXFILE_LIST_NEXT"
	// MaxListPage bounds the entries of one page.
	MaxListPage = 10000
)

// ListEntry2 is one line of a FlaxFile 2 page: entries are JSON objects,
// one per line, in path order (component by component, each compared
// octet by octet).
type ListEntry2 struct {
	Key   string `json:"key"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Mode  uint32 `json:"mode"`
	Hash  string `json:"xxh3_128_blocks,omitempty"`
}

// Small files travel many to a message, each way, so that a tree of small
// files costs syscalls rather than round trips.
const (
	// CmdPutSmall: [PUT_SMALL, then per file: key, mtime_ns, mode, file
	// hash hex, data] -> [OK, results JSON: one SmallResult per file].
	CmdPutSmall = "FLAXFILE_PUT_SMALL"
	// CmdGetSmall: [GET_SMALL, key...] -> [OK, then per key: error ("" if
	// none), size, mtime_ns, mode, file hash hex, data]. A file larger
	// than MaxSmallFile is answered with the error "large" and no data.
	CmdGetSmall = "FLAXFILE_GET_SMALL"
	// MaxSmallFile is the largest file sent in a batch.
	MaxSmallFile = 1 << 20
	// MaxSmallBatch bounds the files of one batch.
	MaxSmallBatch = 1024
	// SmallLarge is GET_SMALL's error for a file to fetch on its own.
	SmallLarge = "large"
	// SmallLater is GET_SMALL's error for a file left out because the
	// reply holds MaxSmallReply octets already: ask again.
	SmallLater = "later"
	// MaxSmallReply bounds the data of one GET_SMALL reply.
	MaxSmallReply = 16 << 20
)

// SmallResult is one file's outcome in PUT_SMALL's reply.
type SmallResult struct {
	Key   string `json:"key"`
	Size  int64  `json:"size"`
	Hash  string `json:"xxh3_128_blocks,omitempty"`
	Error string `json:"error,omitempty"`
}

// CmdHashes: [HASHES, key...] -> [OK, then per key its file hash in hex,
// or "" for a key that is missing or unreadable]. At most MaxSmallBatch
// keys. Sync asks it for the files whose size matches but whose time
// does not.
const CmdHashes = "FLAXFILE_HASHES"

// MaxClockSkew is how far ahead of the local clock a file time from a
// peer may lie and still be kept: clocks differ, but a date years ahead
// is a lie (or a broken clock) that would win every later comparison.
const MaxClockSkew = 24 * time.Hour

// PeerMTime returns a file time a peer sent, in nanoseconds since the
// epoch, or the zero time when there is none (≤ 0) or it lies more than
// MaxClockSkew ahead of now; the receiver then keeps its own time.
func PeerMTime(ns int64, now time.Time) time.Time {
	if ns <= 0 || ns > now.Add(MaxClockSkew).UnixNano() {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Compression (servers with FeatureZstd): a chunk travels as one zstd
// frame when that pays, flagged per chunk.
const (
	// FeatureZstd is the HELLO feature of servers that take compressed
	// PUT_CHUNKs and compress GET_RANGE replies on request.
	FeatureZstd = "zstd"
	// CodecZstd flags a chunk sent as a zstd frame.
	CodecZstd = "zstd"
)

// Codec is the codec frame of a message, frames[i], or "" when it has
// none.
func Codec(frames [][]byte, i int) string {
	if i < len(frames) {
		return string(frames[i])
	}
	return ""
}
