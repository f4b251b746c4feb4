package wire

import (
	"encoding/json"
	"fmt"

	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// List2 is [LIST, prefix, hashes "0"|"1", page size] -> ListPage: a
// cursor on the server walks the store as pages are asked for.
type List2 struct {
	Prefix string
	Hashes bool
	Page   int64
}

// Command implements Request.
func (List2) Command() string { return CmdList2 }

// Args implements Request.
func (m List2) Args() [][]byte {
	return [][]byte{[]byte(m.Prefix), flag(m.Hashes), Itoa(m.Page)}
}

// flag is "1" or "0".
func flag(b bool) []byte {
	if b {
		return []byte("1")
	}
	return []byte("0")
}

// ParseList2 decodes the arguments; the page size is capped at
// MaxListPage.
func ParseList2(args [][]byte) (List2, error) {
	if len(args) < 3 {
		return List2{}, Refusal(ErrMissingArguments)
	}
	prefix, err := DecodeUTF8(args[0])
	if err != nil {
		return List2{}, refuse(err)
	}
	size, ok := Count(args[2])
	if !ok || size < 1 {
		return List2{}, Refusal("invalid page size")
	}
	return List2{Prefix: prefix, Hashes: string(args[1]) == "1", Page: min(size, MaxListPage)}, nil
}

// ListNext is [LIST_NEXT, cursor] -> ListPage.
type ListNext struct{ Cursor string }

// Command implements Request.
func (ListNext) Command() string { return CmdListNext }

// Args implements Request.
func (m ListNext) Args() [][]byte { return [][]byte{[]byte(m.Cursor)} }

// ParseListNext decodes the arguments.
func ParseListNext(args [][]byte) (ListNext, error) {
	if len(args) < 1 {
		return ListNext{}, Refusal(ErrMissingArguments)
	}
	return ListNext{Cursor: string(args[0])}, nil
}

// ListPage is [OK, cursor, more "0"|"1", entries]: entries are ListEntry2
// JSON objects, one per line.
type ListPage struct {
	Cursor  string
	More    bool
	Entries []byte
}

// Frames encodes m.
func (m ListPage) Frames() [][]byte {
	return [][]byte{[]byte(ReplyOK), []byte(m.Cursor), flag(m.More), m.Entries}
}

// ParseListPage decodes a reply to LIST or LIST_NEXT.
func ParseListPage(frames [][]byte) (ListPage, error) {
	if status(frames) != ReplyOK || len(frames) < 4 {
		return ListPage{}, fmt.Errorf("%s answered %q", CmdList2, status(frames))
	}
	return ListPage{Cursor: string(frames[1]), More: string(frames[2]) == "1", Entries: frames[3]}, nil
}

// SmallFile is one file of PUT_SMALL: key, mtime_ns, mode, file hash
// (hex), data.
type SmallFile struct {
	Key   string
	MTime int64
	Mode  uint32
	Sum   string
	Data  []byte
	// Err is why the server cannot take this file (ParsePutSmall), "" if
	// it can.
	Err string
}

// PutSmall is [PUT_SMALL, then 5 frames per file] -> PutSmallReply.
type PutSmall struct{ Files []SmallFile }

// Command implements Request.
func (PutSmall) Command() string { return CmdPutSmall }

// Args implements Request.
func (m PutSmall) Args() [][]byte {
	a := make([][]byte, 0, 5*len(m.Files))
	for _, f := range m.Files {
		a = append(a, []byte(f.Key), Itoa(f.MTime), Itoa(int64(f.Mode)), []byte(f.Sum), f.Data)
	}
	return a
}

// ParsePutSmall decodes the arguments; a file the server cannot take says
// why in its Err (the others still go on). Keys are as sent.
func ParsePutSmall(args [][]byte) (PutSmall, error) {
	if len(args) == 0 || len(args)%5 != 0 || len(args)/5 > MaxSmallBatch {
		return PutSmall{}, Refusal(fmt.Sprintf("a batch is 5 frames per file, at most %d files", MaxSmallBatch))
	}
	m := PutSmall{Files: make([]SmallFile, len(args)/5)}
	for i := range m.Files {
		a := args[5*i : 5*i+5]
		f := &m.Files[i]
		f.Key, f.Sum, f.Data = string(a[0]), string(a[3]), a[4]
		mtime, ok1 := Count(a[1])
		mode, ok2 := Count(a[2])
		switch {
		case !ok1 || !ok2 || mode > 0o7777:
			f.Err = "invalid mtime or mode"
		case len(a[4]) > MaxSmallFile:
			f.Err = "file too large for a batch"
		}
		f.MTime, f.Mode = mtime, uint32(mode)
	}
	return m, nil
}

// PutSmallReply is [OK, JSON array of SmallResult, one per file].
type PutSmallReply struct{ Results []SmallResult }

// Frames encodes m.
func (m PutSmallReply) Frames() [][]byte {
	out, _ := json.Marshal(m.Results)
	return [][]byte{[]byte(ReplyOK), out}
}

// ParsePutSmallReply decodes a reply to a PUT_SMALL of n files.
func ParsePutSmallReply(frames [][]byte, n int) (PutSmallReply, error) {
	var m PutSmallReply
	if status(frames) != ReplyOK || len(frames) < 2 || json.Unmarshal(frames[1], &m.Results) != nil || len(m.Results) != n {
		return PutSmallReply{}, fmt.Errorf("%s answered %q", CmdPutSmall, status(frames))
	}
	return m, nil
}

// Keys is the request of GET_SMALL and HASHES: [command, key...], 1 to
// MaxSmallBatch keys.
type Keys struct {
	Cmd  string
	Keys []string
}

// Command implements Request.
func (m Keys) Command() string { return m.Cmd }

// Args implements Request.
func (m Keys) Args() [][]byte {
	a := make([][]byte, len(m.Keys))
	for i, k := range m.Keys {
		a[i] = []byte(k)
	}
	return a
}

// ParseKeys decodes the arguments of cmd; keys are as sent.
func ParseKeys(cmd string, args [][]byte) (Keys, error) {
	if len(args) == 0 || len(args) > MaxSmallBatch {
		return Keys{}, Refusal(fmt.Sprintf("a batch names 1 to %d keys", MaxSmallBatch))
	}
	m := Keys{Cmd: cmd, Keys: make([]string, len(args))}
	for i, a := range args {
		m.Keys[i] = string(a)
	}
	return m, nil
}

// SmallReplyFile is one file of GET_SMALL's reply: Err ("" if none, or
// SmallLarge, SmallLater, a refusal), else the file and its data.
type SmallReplyFile struct {
	Err  string
	File FileInfo
	Data []byte
	// Malformed is why this file's fields could not be read, or nil.
	Malformed error
}

// SmallReplyParts encodes one file of GET_SMALL's reply, data being its
// content's part; a file with Err has five empty frames after it.
func SmallReplyParts(f SmallReplyFile, data zmtp.Part) []zmtp.Part {
	if f.Err != "" {
		return []zmtp.Part{{Data: []byte(f.Err)}, {}, {}, {}, {}, {}}
	}
	return append(append([]zmtp.Part{{}}, f.File.parts()...), data)
}

// ParseGetSmallReply decodes a reply to a GET_SMALL of n keys. A file
// whose fields are malformed comes back with Malformed set: an error of
// that file alone.
func ParseGetSmallReply(frames [][]byte, n int) ([]SmallReplyFile, error) {
	if status(frames) != ReplyOK || len(frames) != 1+6*n {
		return nil, fmt.Errorf("%s answered %q with %d frames", CmdGetSmall, status(frames), len(frames))
	}
	out := make([]SmallReplyFile, n)
	for i := range out {
		fr := frames[1+6*i : 7+6*i]
		if out[i].Err = string(fr[0]); out[i].Err != "" {
			continue
		}
		out[i].File, out[i].Malformed = parseFileInfo(fr[1:5], CmdGetSmall)
		out[i].Data = fr[5]
	}
	return out, nil
}

// HashesReply is [OK, then one file hash per key, "" for a key missing
// or unreadable].
type HashesReply struct{ Sums []string }

// Frames encodes m.
func (m HashesReply) Frames() [][]byte {
	out := [][]byte{[]byte(ReplyOK)}
	for _, s := range m.Sums {
		out = append(out, []byte(s))
	}
	return out
}

// ParseHashesReply decodes a reply to a HASHES of n keys.
func ParseHashesReply(frames [][]byte, n int) (HashesReply, error) {
	if status(frames) != ReplyOK || len(frames) != 1+n {
		return HashesReply{}, fmt.Errorf("%s answered %q with %d frames", CmdHashes, status(frames), len(frames))
	}
	m := HashesReply{Sums: make([]string, n)}
	for i, f := range frames[1:] {
		m.Sums[i] = string(f)
	}
	return m, nil
}
