package wire

import "strconv"

// Every request and reply of both protocols is a typed struct here, with
// its encoding and its decoding side by side, so that neither the client
// nor the server indexes frames by position:
//
//   - a request has Command and Args (the frames after the command), and
//     a Parse function that the server runs on the arguments it received;
//     a Parse error is a Refusal whose text is the ERROR to answer (1.2's
//     exact words for 1.2's commands, checked in 1.2's order);
//   - a reply has Frames (what follows the delimiter, its status first)
//     and a Parse function that the client runs on what it received,
//     whose error says what was malformed.
//
// msg12.go holds 1.2's messages, msg2.go and msg2_batch.go FlaxFile 2's.

// Request is a request of either protocol.
type Request interface {
	// Command is the request's command frame.
	Command() string
	// Args are the frames after the command.
	Args() [][]byte
}

// RequestFrames is what a client sends for r: the delimiter, the command,
// then the arguments.
func RequestFrames(r Request) [][]byte {
	return append([][]byte{Delimiter, []byte(r.Command())}, r.Args()...)
}

// Refusal is a request refused while it is decoded; its text is the
// ERROR to answer.
type Refusal string

// Error implements error.
func (r Refusal) Error() string { return string(r) }

// refuse turns an error of Python's text into a Refusal.
func refuse(err error) error { return Refusal(err.Error()) }

// Count parses a FlaxFile 2 number: decimal digits only, no sign, no
// spaces, at most 19 of them (1.2's commands keep Python's looser
// rules, ParseInt).
func Count(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// arg is args[i], or nil past the end.
func arg(args [][]byte, i int) []byte {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// status is a reply's first frame, "" for none.
func status(frames [][]byte) string {
	if len(frames) == 0 {
		return ""
	}
	return string(frames[0])
}

// ErrorReply is [ERROR, message], either protocol's refusal.
type ErrorReply struct{ Message string }

// Frames encodes e.
func (e ErrorReply) Frames() [][]byte { return [][]byte{[]byte(ReplyError), []byte(e.Message)} }

// ParseError returns the ERROR reply frames hold, and false when they are
// not one.
func ParseError(frames [][]byte) (ErrorReply, bool) {
	if status(frames) != ReplyError {
		return ErrorReply{}, false
	}
	return ErrorReply{Message: string(arg(frames, 1))}, true
}

// Status is a reply's status frame: OK, PONG, ERROR, ACK, CHUNK or DATA.
func Status(frames [][]byte) string { return status(frames) }

// SplitRequest takes a received request apart: [delimiter, command,
// args...]. As 1.2 does, the command is taken from the second frame
// without checking the first; ok is false for fewer than two frames.
func SplitRequest(frames [][]byte) (cmd string, args [][]byte, ok bool) {
	if len(frames) < 2 {
		return "", nil, false
	}
	return string(frames[1]), frames[2:], true
}

// SplitReply takes a received reply apart: [delimiter, status, ...]; it
// returns what follows the delimiter, and false when the delimiter or the
// status is missing.
func SplitReply(frames [][]byte) ([][]byte, bool) {
	if len(frames) < 2 || len(frames[0]) != 0 {
		return nil, false
	}
	return frames[1:], true
}
