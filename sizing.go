package flaxfile

// sizing is how one file travels: connections, window and chunk size.
type sizing struct {
	conns  int
	window int
	chunk  int64
}

// sizing12 sizes a transfer as FlaxFile 1.2's tables do (compat §5-6), with
// Options overriding each part.
func (c *Client) sizing12(size int64) sizing {
	const mib = 1 << 20
	p := sizing{conns: 16, window: 8}
	switch {
	case size < mib:
		p.conns = 1
		p.window = 16
	case size < 10*mib:
		p.conns = 4
	case size < 100*mib:
		p.conns = 8
	}
	if !c.local {
		p.window = 32
	}
	p.chunk = 4 * mib
	if !c.local {
		switch {
		case size < 50*mib:
			p.chunk = 8 * mib
		case size < 500*mib:
			p.chunk = 16 * mib
		default:
			p.chunk = 32 * mib
		}
	}
	if c.opts.Connections > 0 {
		p.conns = c.opts.Connections
	}
	if c.opts.Window > 0 {
		p.window = c.opts.Window
	}
	if c.opts.ChunkSize > 0 {
		p.chunk = c.opts.ChunkSize
	}
	return p
}
