package wire

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// Ping is [PING] -> [PONG].
type Ping struct{}

// Command implements Request.
func (Ping) Command() string { return CmdPing }

// Args implements Request.
func (Ping) Args() [][]byte { return nil }

// UploadStart is [UPLOAD_START_CONCURRENT, session, key, size, window,
// hash?] -> [OK]: a connection joins an upload session. Hash is the
// extension frame (HashXXH3128 or HashBlocks), "" for SHA-256.
type UploadStart struct {
	Session, Key string
	Size, Window int64
	Hash         string
}

// Command implements Request.
func (UploadStart) Command() string { return CmdUploadStart }

// Args implements Request.
func (m UploadStart) Args() [][]byte {
	a := [][]byte{[]byte(m.Session), []byte(m.Key), Itoa(m.Size), Itoa(m.Window)}
	if m.Hash != "" {
		a = append(a, []byte(m.Hash))
	}
	return a
}

// ParseUploadStart decodes and checks the arguments in 1.2's order. Key
// is as sent (the server cleans it).
func ParseUploadStart(args [][]byte) (UploadStart, error) {
	var m UploadStart
	if len(args) < 4 {
		return m, Refusal(ErrMissingArguments)
	}
	var err error
	if m.Session, err = DecodeUTF8(args[0]); err != nil {
		return m, refuse(err)
	}
	if m.Key, err = DecodeUTF8(args[1]); err != nil {
		return m, refuse(err)
	}
	if m.Size, err = ParseInt(args[2]); err != nil {
		return m, refuse(err)
	}
	if m.Window, err = ParseInt(args[3]); err != nil {
		return m, refuse(err)
	}
	switch {
	case utf8.RuneCountInString(m.Session) > MaxSessionIDLen:
		return m, Refusal(ErrSessionIDTooLong)
	case utf8.RuneCountInString(m.Key) > MaxFileKeyLen:
		return m, Refusal(ErrFileKeyTooLong)
	case m.Size < 0 || m.Size > MaxFileSize:
		return m, Refusal(ErrInvalidFileSize)
	case m.Window < 1 || m.Window > MaxConcurrency:
		return m, Refusal(ErrInvalidMaxConc)
	}
	m.Hash = string(arg(args, 4))
	return m, nil
}

// UploadChunk is [UPLOAD_CHUNK_CONCURRENT, id, data] -> [ACK, id], the
// id frame echoed octet for octet.
type UploadChunk struct {
	ID   int64
	Data []byte
	// IDFrame is the id as received, for the echo.
	IDFrame []byte
}

// Command implements Request.
func (UploadChunk) Command() string { return CmdUploadChunk }

// Args implements Request.
func (m UploadChunk) Args() [][]byte { return [][]byte{Itoa(m.ID), m.Data} }

// ParseUploadChunk decodes the arguments (the server first checks that
// the connection has a session, as 1.2 does).
func ParseUploadChunk(args [][]byte) (UploadChunk, error) {
	if len(args) < 2 {
		return UploadChunk{}, Refusal(ErrNoData)
	}
	id, err := ParseInt(args[0])
	if err != nil {
		return UploadChunk{}, refuse(err)
	}
	return UploadChunk{ID: id, Data: args[1], IDFrame: args[0]}, nil
}

// UploadEnd is [UPLOAD_END, checksum?] -> [OK, result JSON]; Sum is the
// client's hash of the file in hex (an extension), "" for none.
type UploadEnd struct{ Sum string }

// Command implements Request.
func (UploadEnd) Command() string { return CmdUploadEnd }

// Args implements Request.
func (m UploadEnd) Args() [][]byte {
	if m.Sum == "" {
		return nil
	}
	return [][]byte{[]byte(m.Sum)}
}

// ParseUploadEnd decodes the arguments; it never fails.
func ParseUploadEnd(args [][]byte) UploadEnd { return UploadEnd{Sum: string(arg(args, 0))} }

// UploadEndReply is UPLOAD_END's [OK, JSON].
type UploadEndReply struct{ Result UploadResult }

// ParseUploadEndReply decodes an OK reply to UPLOAD_END.
func ParseUploadEndReply(frames [][]byte) (UploadEndReply, error) {
	var m UploadEndReply
	if status(frames) != ReplyOK || len(frames) < 2 {
		return m, fmt.Errorf("%s answered %q", CmdUploadEnd, status(frames))
	}
	if err := json.Unmarshal(frames[1], &m.Result); err != nil {
		return m, fmt.Errorf("%s reply: %v", CmdUploadEnd, err)
	}
	return m, nil
}

// DownloadStart is [DOWNLOAD_START_CONCURRENT, key, chunk?, exact?]:
// Chunk is the chunk size asked for (0: the server's), Exact asks for
// chunks cut at exactly that size (an extension).
type DownloadStart struct {
	Key   string
	Chunk int64
	Exact bool
}

// Command implements Request.
func (DownloadStart) Command() string { return CmdDownloadStart }

// Args implements Request.
func (m DownloadStart) Args() [][]byte {
	a := [][]byte{[]byte(m.Key)}
	if m.Chunk > 0 {
		a = append(a, Itoa(m.Chunk))
		if m.Exact {
			a = append(a, []byte(ExactChunks))
		}
	}
	return a
}

// ParseDownloadStart decodes the arguments as 1.2 reads them: a chunk
// size it cannot use is ignored.
func ParseDownloadStart(args [][]byte) (DownloadStart, error) {
	var m DownloadStart
	if len(args) < 1 {
		return m, Refusal(ErrMissingFileKey)
	}
	key, err := DecodeUTF8(args[0])
	if err != nil {
		return m, refuse(err)
	}
	m.Key = key
	if n, err := ParseInt(arg(args, 1)); len(args) > 1 && err == nil && n > 0 {
		m.Chunk = n
	}
	m.Exact = m.Chunk > 0 && string(arg(args, 2)) == ExactChunks
	return m, nil
}

// DownloadStartReply is [OK, size, chunks, chunk size, exact?, handle?].
type DownloadStartReply struct {
	Size, Chunks, Chunk int64
	// Exact reports that the server cuts at exactly Chunk; Handle then
	// names the transfer in DOWNLOAD_CHUNK.
	Exact  bool
	Handle string
}

// Frames encodes m.
func (m DownloadStartReply) Frames() [][]byte {
	f := [][]byte{[]byte(ReplyOK), Itoa(m.Size), Itoa(m.Chunks), Itoa(m.Chunk)}
	if m.Exact {
		f = append(f, []byte(ExactChunks), []byte(m.Handle))
	}
	return f
}

// maxHandle bounds a download handle a client repeats.
const maxHandle = 64

// ParseDownloadStartReply decodes an OK reply to DOWNLOAD_START.
func ParseDownloadStartReply(frames [][]byte) (DownloadStartReply, error) {
	var m DownloadStartReply
	if status(frames) != ReplyOK || len(frames) < 4 {
		return m, fmt.Errorf("%s answered %q with %d frames", CmdDownloadStart, status(frames), len(frames))
	}
	var err error
	for i, p := range []*int64{&m.Size, &m.Chunks, &m.Chunk} {
		if *p, err = ParseInt(frames[1+i]); err != nil {
			return m, fmt.Errorf("%s reply frame %d: %v", CmdDownloadStart, 2+i, err)
		}
	}
	m.Exact = string(arg(frames, 4)) == ExactChunks
	if h := arg(frames, 5); m.Exact && len(h) <= maxHandle {
		m.Handle = string(h)
	}
	return m, nil
}

// DownloadChunk is [DOWNLOAD_CHUNK_CONCURRENT, key, id, handle?] ->
// [CHUNK, id, data].
type DownloadChunk struct {
	Key    string
	ID     int64
	Handle string
	// IDFrame is the id as received: the server reads it (ParseID) after
	// it has checked the key, in 1.2's order.
	IDFrame []byte
}

// Command implements Request.
func (DownloadChunk) Command() string { return CmdDownloadChunk }

// Args implements Request.
func (m DownloadChunk) Args() [][]byte {
	a := [][]byte{[]byte(m.Key), Itoa(m.ID)}
	if m.Handle != "" {
		a = append(a, []byte(m.Handle))
	}
	return a
}

// ParseDownloadChunk decodes the key and the handle; ParseID reads the
// id.
func ParseDownloadChunk(args [][]byte) (DownloadChunk, error) {
	var m DownloadChunk
	if len(args) < 2 {
		return m, Refusal(ErrMissingArguments)
	}
	key, err := DecodeUTF8(args[0])
	if err != nil {
		return m, refuse(err)
	}
	return DownloadChunk{Key: key, IDFrame: args[1], Handle: string(arg(args, 2))}, nil
}

// ParseID reads the chunk id into m.ID.
func (m *DownloadChunk) ParseID() error {
	id, err := ParseInt(m.IDFrame)
	if err != nil {
		return refuse(err)
	}
	m.ID = id
	return nil
}

// List is [LIST, prefix?, compute_hash?] -> [OK, JSON array].
type List struct {
	Prefix   string
	WithHash bool
}

// Command implements Request.
func (List) Command() string { return CmdList }

// Args implements Request.
func (m List) Args() [][]byte {
	flag := "false"
	if m.WithHash {
		flag = "true"
	}
	return [][]byte{[]byte(m.Prefix), []byte(flag)}
}

// ParseList decodes the arguments.
func ParseList(args [][]byte) (List, error) {
	var m List
	if len(args) > 0 {
		p, err := DecodeUTF8(args[0])
		if err != nil {
			return m, refuse(err)
		}
		m.Prefix = p
	}
	m.WithHash = string(arg(args, 1)) == "true"
	return m, nil
}

// ListReply is LIST's [OK, JSON array]; Entries is the array, decoded by
// the client entry by entry.
type ListReply struct{ Entries []byte }

// ParseListReply decodes an OK reply to LIST.
func ParseListReply(frames [][]byte) (ListReply, error) {
	if status(frames) != ReplyOK || len(frames) < 2 {
		return ListReply{}, fmt.Errorf("%s answered %q", CmdList, status(frames))
	}
	return ListReply{Entries: frames[1]}, nil
}

// Delete is [DELETE, key] -> [OK].
type Delete struct{ Key string }

// Command implements Request.
func (Delete) Command() string { return CmdDelete }

// Args implements Request.
func (m Delete) Args() [][]byte { return [][]byte{[]byte(m.Key)} }

// ParseDelete decodes the arguments.
func ParseDelete(args [][]byte) (Delete, error) {
	if len(args) < 1 {
		return Delete{}, Refusal(ErrMissingFileKey)
	}
	key, err := DecodeUTF8(args[0])
	if err != nil {
		return Delete{}, refuse(err)
	}
	return Delete{Key: key}, nil
}

// Numbered is a reply that carries one number and maybe data: [ACK, id],
// [CHUNK, id, data] (1.2), [ACK, offset] and [DATA, offset, data]
// (FlaxFile 2).
type Numbered struct {
	Status string
	N      int64
	Data   []byte
	// NFrame is N as sent (the server echoes a chunk id octet for octet).
	NFrame []byte
}

// Frames encodes m: data follows when Status is CHUNK or DATA.
func (m Numbered) Frames() [][]byte {
	nf := m.NFrame
	if nf == nil {
		nf = Itoa(m.N)
	}
	if m.Status == ReplyChunk || m.Status == ReplyData {
		return [][]byte{[]byte(m.Status), nf, m.Data}
	}
	return [][]byte{[]byte(m.Status), nf}
}

// Parts encodes m with its data as a part (a file region, sent without
// copying, or a fill function).
func (m Numbered) Parts(data zmtp.Part) []zmtp.Part {
	nf := m.NFrame
	if nf == nil {
		nf = Itoa(m.N)
	}
	return []zmtp.Part{{Data: []byte(m.Status)}, {Data: nf}, data}
}

// ParseNumbered decodes a reply to req that should be want with its
// number (and, for CHUNK and DATA, exactly one data frame after it).
func ParseNumbered(frames [][]byte, req, want string) (Numbered, error) {
	n := 2
	if want == ReplyChunk || want == ReplyData {
		n = 3
	}
	if status(frames) != want || len(frames) < n || want == ReplyChunk && len(frames) != n {
		return Numbered{}, fmt.Errorf("%s answered with %q", req, status(frames))
	}
	v, err := ParseInt(frames[1])
	if err != nil {
		return Numbered{}, fmt.Errorf("%s answered %s %q", req, want, frames[1])
	}
	m := Numbered{Status: want, N: v, NFrame: frames[1]}
	if n == 3 {
		m.Data = frames[2]
	}
	return m, nil
}

// Parts encodes m as a client sends it (delimiter first), its data as a
// part: a file region sent without copying, or a buffer filled in place.
func (m UploadChunk) Parts(data zmtp.Part) []zmtp.Part {
	return []zmtp.Part{{Data: Delimiter}, {Data: []byte(CmdUploadChunk)}, {Data: Itoa(m.ID)}, data}
}

// DataHead reads the head of a CHUNK or DATA reply as a receiving sink
// sees it, before its data (frames: the delimiter, the status, the
// number): the number, and false for any other message.
func DataHead(frames [][]byte, status string) (int64, bool) {
	if len(frames) != 3 || len(frames[0]) != 0 || string(frames[1]) != status {
		return 0, false
	}
	n, err := ParseInt(frames[2])
	return n, err == nil
}
