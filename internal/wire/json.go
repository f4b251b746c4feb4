package wire

import (
	"strconv"
	"strings"
)

// ListEntry is one element of LIST's JSON reply (compat §3).
type ListEntry struct {
	Key   string  `json:"key"`
	Size  int64   `json:"size"`
	Mtime float64 `json:"mtime"`
	// Hash is XXH3-64 as 16 lower-case hex digits, present only when the
	// request asked for hashes.
	Hash string `json:"hash,omitempty"`
}

// AppendListEntry appends e as Python's json.dumps writes it.
func AppendListEntry(dst []byte, e ListEntry) []byte {
	dst = append(dst, `{"key": `...)
	dst = append(dst, PyJSONString(e.Key)...)
	dst = append(dst, `, "size": `...)
	dst = strconv.AppendInt(dst, e.Size, 10)
	dst = append(dst, `, "mtime": `...)
	dst = append(dst, PyFloat(e.Mtime)...)
	if e.Hash != "" {
		dst = append(dst, `, "hash": `...)
		dst = append(dst, PyJSONString(e.Hash)...)
	}
	return append(dst, '}')
}

// ListJSON returns entries as LIST's JSON array, "[]" when empty.
func ListJSON(entries []ListEntry) []byte {
	dst := []byte{'['}
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = AppendListEntry(dst, e)
	}
	return append(dst, ']')
}

// UploadResult is the JSON of the UPLOAD_END reply that ends a session.
type UploadResult struct {
	Status     string  `json:"status"`
	FileKey    string  `json:"file_key"`
	Size       int64   `json:"size"`
	Time       float64 `json:"time"`
	Throughput float64 `json:"throughput"` // MiB/s
	SHA256     string  `json:"sha256"`
	// XXH3128 is set instead of SHA256 when the client asked for
	// HashXXH3128.
	XXH3128 string `json:"xxh3_128,omitempty"`
	// Blocks is set instead of SHA256 when the client asked for
	// HashBlocks.
	Blocks string `json:"xxh3_128_blocks,omitempty"`
	// Message is set instead of the rest when other sockets of the
	// session are still sending, or the session had already gone.
	Message string `json:"message,omitempty"`
}

// Messages of UPLOAD_END replies that do not end a session.
const (
	MsgWaitingForOthers = "Socket finished, waiting for others"
	MsgUploadEnded      = "Upload ended"
)

// UploadEndJSON is the UPLOAD_END reply for a finished session. extField
// and extHex are empty except for sessions that asked for another hash
// than SHA-256: they name it ("xxh3_128", "xxh3_128_blocks") and give it.
func UploadEndJSON(key string, size int64, seconds, mibps float64, sha256hex, extField, extHex string) []byte {
	var b strings.Builder
	b.WriteString(`{"status": "ok", "file_key": `)
	b.WriteString(PyJSONString(key))
	b.WriteString(`, "size": `)
	b.WriteString(strconv.FormatInt(size, 10))
	b.WriteString(`, "time": `)
	b.WriteString(PyFloat(seconds))
	b.WriteString(`, "throughput": `)
	b.WriteString(PyFloat(mibps))
	b.WriteString(`, "sha256": `)
	b.WriteString(PyJSONString(sha256hex))
	if extField != "" {
		b.WriteString(`, `)
		b.WriteString(PyJSONString(extField))
		b.WriteString(`: `)
		b.WriteString(PyJSONString(extHex))
	}
	b.WriteString(`}`)
	return []byte(b.String())
}

// UploadMessageJSON is an UPLOAD_END reply carrying only a message.
func UploadMessageJSON(msg string) []byte {
	return []byte(`{"status": "ok", "message": ` + PyJSONString(msg) + `}`)
}
