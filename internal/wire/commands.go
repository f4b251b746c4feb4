package wire

// FlaxFile 1.2 commands (compat §3).
const (
	CmdPing          = "PING"
	CmdUploadStart   = "UPLOAD_START_CONCURRENT"
	CmdUploadChunk   = "UPLOAD_CHUNK_CONCURRENT"
	CmdUploadEnd     = "UPLOAD_END"
	CmdDownloadStart = "DOWNLOAD_START_CONCURRENT"
	CmdDownloadChunk = "DOWNLOAD_CHUNK_CONCURRENT"
	CmdList          = "LIST"
	CmdDelete        = "DELETE"
)

// FlaxFile 1.2 replies.
const (
	ReplyPong  = "PONG"
	ReplyOK    = "OK"
	ReplyError = "ERROR"
	ReplyAck   = "ACK"
	ReplyChunk = "CHUNK"
)

// The exact ERROR strings of FlaxFile 1.2 (compat §3).
const (
	ErrUnknownCommand   = "Unknown command"
	ErrMissingArguments = "Missing arguments"
	ErrSessionIDTooLong = "session_id too long"
	ErrFileKeyTooLong   = "file_key too long"
	ErrInvalidFileSize  = "invalid file_size"
	ErrInvalidMaxConc   = "invalid max_concurrency"
	ErrInvalidFilePath  = "Invalid file path"
	ErrNoActiveUpload   = "No active upload"
	ErrNoData           = "No data"
	ErrSessionNotFound  = "Session not found"
	ErrMissingFileKey   = "Missing file_key"
	ErrFileNotFound     = "File not found"
)

// Replaced is in the ERROR text of a read that failed because the file
// was replaced while it was read (a store that cannot keep the version a
// GET opened, such as an object store, fails the read rather than mix two
// versions): a FlaxFile 2 client gets the file again from the start.
const Replaced = "the file was replaced while it was read"

// Limits UPLOAD_START checks, in 1.2's order (compat §3).
const (
	MaxSessionIDLen = 256            // characters
	MaxFileKeyLen   = 4096           // characters
	MaxFileSize     = 10 * (1 << 40) // 10 TiB
	MaxConcurrency  = 1024           // per-socket window a client may declare
	DefaultChunk    = 16 << 20       // server chunk below LargeFile
	LargeChunk      = 32 << 20       // server chunk from LargeFile up
	LargeFile       = 500 << 20      // where the server default changes
	ClientChunk     = 4 << 20        // what the 1.2 client asks DOWNLOAD_START for
	DefaultPort     = 25555          // the one TCP port
	DefaultStorage  = "./zmq_streaming_storage"
)

// ServerChunkSize is 1.2's default download chunk for a file of size
// octets: 16 MiB below 500 MiB, else 32 MiB.
func ServerChunkSize(size int64) int64 {
	if size < LargeFile {
		return DefaultChunk
	}
	return LargeChunk
}

// Extension frames. FlaxFile 1.2 ignores frames after those it reads, so
// a Go client may add these and still talk to a 1.2 server:
//   - UPLOAD_START's fifth frame HashXXH3128 asks the server to hash the
//     upload with XXH3-128 instead of SHA-256 (far cheaper), and to report
//     it as "xxh3_128" in the UPLOAD_END JSON, "sha256" being empty;
//   - UPLOAD_END's first frame then carries the client's own XXH3-128 of
//     the file in hex; the server publishes only if they match.
//   - HashBlocks instead asks for FlaxFile 2's file hash (XXH3-128 of the
//     size and of each 4 MiB block's XXH3-128, internal/digest), reported
//     as "xxh3_128_blocks": each side hashes every chunk from the buffer
//     it is sent or received in, in any order, never reading the file
//     back. Chunks must then be a multiple of 4 MiB (but the last), or
//     the file a single chunk.
//   - DOWNLOAD_START's third frame ExactChunks, after a requested chunk
//     size, asks the server to cut every CHUNK at that size (1.2 answers
//     with the requested size but cuts at its own default); a server that
//     will answers with ExactChunks as a fifth frame and a download
//     handle as a sixth, which the client's DOWNLOAD_CHUNKs then carry as
//     a fourth frame (on any of its connections); a client that gets no
//     such frame asks again without a size. Without ExactChunks a Go
//     server answers, and cuts at, its default chunk size.
const (
	HashXXH3128 = "xxh3-128"
	HashBlocks  = "xxh3-128-blocks"
	ExactChunks = "exact-chunks"
)

// Delimiter is the empty frame that starts every request and reply.
var Delimiter = []byte{}
