package flaxfile

import "fmt"

// Numbers a server sends are checked here against the client's limits
// before anything is allocated, written or looped over by them.

// maxChunks12 bounds the chunks of a 1.2 download, whose ids the client
// lists before it asks for them: 4 Mi chunks cover 10 TiB in the 4 MiB
// chunks a Go server agrees to and 1.2's 16 and 32 MiB.
const maxChunks12 = 1 << 22

// checkSize refuses a file size that a server declared beyond
// Options.MaxFileSize.
func (c *Client) checkSize(what string, size int64) error {
	if size < 0 || size > c.opts.MaxFileSize {
		return fmt.Errorf("%w: %s declares a file of %d octets; the limit is %d (Options.MaxFileSize)", ErrProtocol, what, size, c.opts.MaxFileSize)
	}
	return nil
}
