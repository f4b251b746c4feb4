// Package progress draws FlaxFile's terminal progress bars: a short
// description of fixed width, a bar, bytes done and total, speed and time
// left, refreshed ten times a second, and gone from the terminal once the
// transfer ends. It is the one package that knows the bar library.
package progress

import (
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// descWidth keeps descriptions the same width so the bar never jumps.
const descWidth = 14

// refresh is how often the bar is redrawn.
const refresh = 100 * time.Millisecond

// Bar is one progress bar. It implements flaxfile.Progress.
type Bar struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	desc atomic.Pointer[string]
	once sync.Once
}

// New starts a bar on w for total octets. description is a word such as
// "uploading". The caller decides whether w is a terminal worth drawing on.
func New(w io.Writer, description string, total int64) *Bar {
	b := &Bar{}
	b.Describe(description)
	b.p = mpb.New(mpb.WithOutput(w), mpb.WithConsoleWriter(sized{cupwriter.New(w, false)}),
		mpb.WithRefreshRate(refresh), mpb.WithAutoRefresh())
	b.bar = b.p.AddBar(max(total, 0),
		mpb.BarWidth(30),
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return *b.desc.Load() })),
		mpb.AppendDecorators(
			decor.Counters(decor.SizeB1024(0), " % .1f / % .1f"),
			decor.AverageSpeed(decor.SizeB1024(0), "  % .1f"),
			decor.Name("  "),
			decor.AverageETA(decor.ET_STYLE_MMSS),
		),
	)
	return b
}

// Transferred advances the bar by n octets. It is safe from several
// goroutines at once.
func (b *Bar) Transferred(_ string, n int64) {
	b.bar.IncrInt64(n)
}

// Finish removes the bar from the terminal and returns once it is gone.
// Calling it again does nothing.
func (b *Bar) Finish() {
	b.once.Do(func() {
		b.bar.Abort(true)
		b.p.Wait()
	})
}

// Describe replaces the description, padded as New pads it.
func (b *Bar) Describe(description string) {
	if n := descWidth - len([]rune(description)); n > 0 {
		description += strings.Repeat(" ", n)
	}
	b.desc.Store(&description)
}

// sized is the library's terminal writer, except that a terminal that
// reports no size (a pseudo-terminal nobody sized, a serial console) is
// taken as 80 × 24 instead of leaving no room to draw in.
type sized struct{ *cupwriter.Writer }

// GetTermSize implements mpb.ConsoleWriter.
func (s sized) GetTermSize() (width, height int, err error) {
	width, height, err = s.Writer.GetTermSize()
	if err == nil && width <= 0 {
		width = 80
	}
	if err == nil && height <= 0 {
		height = 24
	}
	return width, height, err
}
