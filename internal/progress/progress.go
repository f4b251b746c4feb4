// Package progress draws FlaxFile's terminal progress bars: a short
// description of fixed width, a bar, bytes done and total, speed and time
// left, refreshed ten times a second.
package progress

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// descWidth keeps descriptions the same width so the bar never jumps.
const descWidth = 14

// Bar is one progress bar. It implements flaxfile.Progress.
type Bar struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// New starts a bar on w for total octets. description is a word such as
// "uploading".
func New(w io.Writer, description string, total int64) *Bar {
	for len([]rune(description)) < descWidth {
		description += " "
	}
	return &Bar{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// Transferred advances the bar by n octets.
func (b *Bar) Transferred(_ string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Add64(n)
}

// Finish removes the bar from the terminal.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Finish()
}

// Describe replaces the description, padded as New pads it.
func (b *Bar) Describe(description string) {
	for len([]rune(description)) < descWidth {
		description += " "
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bar.Describe(description)
}
