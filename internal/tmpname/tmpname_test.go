package tmpname

import (
	"strings"
	"sync"
	"testing"
)

// Names never repeat, even from many goroutines at once, and have the
// shapes promised.
func TestNamesAreUnique(t *testing.T) {
	const workers, each = 8, 1000
	seen := make(map[string]bool, workers*each)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				n := Next()
				mu.Lock()
				if seen[n] {
					t.Errorf("name %s returned twice", n)
				}
				seen[n] = true
				mu.Unlock()
				if strings.Trim(n, "0123456789abcdef") != "" {
					t.Errorf("name %q is not hex digits only", n)
				}
			}
		})
	}
	wg.Wait()
	if b := Beside("f.txt"); !strings.HasPrefix(b, ".f.txt.flaxfile-") || len(b) <= len(".f.txt.flaxfile-") {
		t.Fatalf("Beside: %q", b)
	}
}
