package wire

// Named says what a request names, for access control before it is
// decoded: the keys it reads or writes (as sent; a request too short to
// name one names none), the upload it continues ("" if none), and
// whether it lists, its prefix then being Prefix's.
func Named(cmd string, args [][]byte) (keys [][]byte, upload string, lists bool) {
	switch cmd {
	case CmdUploadStart:
		if len(args) > 1 {
			keys = args[1:2]
		}
	case CmdDownloadStart, CmdDownloadChunk, CmdDelete, CmdPut, CmdGet:
		keys = args[:min(1, len(args))]
	case CmdGetSmall, CmdHashes:
		keys = args
	case CmdPutSmall:
		for i := 0; i < len(args); i += 5 {
			keys = append(keys, args[i])
		}
	case CmdPutChunk, CmdPutEnd, CmdPutSums, CmdPutPatch, CmdPutCuts, CmdPutBuild:
		upload = string(arg(args, 0))
	case CmdList, CmdList2:
		lists = true
	}
	return keys, upload, lists
}

// Prefix is the prefix a LIST of either protocol names ("" for all).
func Prefix(args [][]byte) string { return string(arg(args, 0)) }

// SetPrefix makes a LIST of either protocol name prefix instead, and
// returns its arguments.
func SetPrefix(args [][]byte, prefix string) [][]byte {
	if len(args) == 0 {
		return [][]byte{[]byte(prefix)}
	}
	args[0] = []byte(prefix)
	return args
}
