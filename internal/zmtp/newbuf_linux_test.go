package zmtp

import (
	"testing"
	"unsafe"
)

// Buffers of a huge page or more start on a huge-page boundary, so that
// the kernel can back them with huge pages; smaller ones need not.
func TestNewBufferOnHugePageBoundary(t *testing.T) {
	for _, size := range []int{hugePage, 4<<20 + classSlack, 6<<20 + classSlack} {
		for range 3 { // the Go allocator's own alignment varies
			b := newBuffer(size)
			if a := uintptr(unsafe.Pointer(&b[0])); a%hugePage != 0 {
				t.Fatalf("newBuffer(%d) starts at %#x, not on a %d-octet boundary", size, a, hugePage)
			}
		}
	}
}
