package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/wire"
)

// explain words an error for a person: a server's refusal names what
// was refused and says why in plain words (never a command name or a
// Python errno), timeouts and interruptions are called so, and the
// library's "flaxfile:" prefixes are folded. (-v prints the error as it
// came too, for a bug report.)
func explain(err error) string {
	msg := err.Error()
	var se *flaxfile.ServerError
	if errors.As(err, &se) {
		msg = strings.Replace(msg, se.Error(), fmt.Sprintf("the server refused the %s: %s", operation(se.Command), serverWords(se.Message)), 1)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		msg = strings.ReplaceAll(msg, context.DeadlineExceeded.Error(), "timed out")
	}
	return strings.ReplaceAll(msg, "flaxfile: ", "")
}

// operation names what a command was for.
func operation(cmd string) string {
	switch cmd {
	case wire.CmdUploadStart, wire.CmdUploadChunk, wire.CmdUploadEnd, wire.CmdPut, wire.CmdPutChunk, wire.CmdPutEnd, wire.CmdPutSmall:
		return "upload"
	case wire.CmdDownloadStart, wire.CmdDownloadChunk, wire.CmdGet, wire.CmdGetRange, wire.CmdGetEnd, wire.CmdGetSmall:
		return "download"
	case wire.CmdList, wire.CmdList2, wire.CmdListNext, wire.CmdHashes:
		return "listing"
	case wire.CmdDelete:
		return "deletion"
	}
	return "request"
}

// pyErrno is how 1.2 (Python) words an OS error: [Errno N] text: 'path'.
// (Compiled when first needed, not at every start of the tool.)
var pyErrno = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[Errno \d+\] ([^:]+)(?:: '(.*)')?$`) })

// serverWords puts a server's error text in plain words.
func serverWords(m string) string {
	if p := pyErrno().FindStringSubmatch(m); p != nil {
		if p[2] != "" {
			return p[2] + ": " + strings.ToLower(p[1])
		}
		return strings.ToLower(p[1])
	}
	switch m {
	case wire.ErrFileNotFound:
		return "no such file"
	case wire.ErrInvalidFilePath:
		return "not a valid key"
	case "Not a file":
		return "it is a directory, not a file"
	case wire.ErrSessionNotFound:
		return "the transfer expired on the server; run it again to resume"
	case wire.ErrMissingArguments, wire.ErrMissingFileKey, wire.ErrNoData:
		return "a malformed request (" + m + ")"
	}
	return m
}
