package storeurl

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/store"
	"github.com/flaxfile/flaxfile/internal/store/storetest"
)

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	for _, spec := range []string{"dir:" + dir, dir, "mem:", "mem:2MiB"} {
		o, err := Open(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		storetest.Put(t, o, "k", []byte("v"))
		if got := storetest.Get(t, o, "k"); string(got) != "v" {
			t.Fatalf("%s: got %q", spec, got)
		}
		if o.Where == "" {
			t.Fatalf("%s: no description", spec)
		}
		o.Close()
	}
	o, _ := Open("mem:1KiB")
	if sp, ok := o.Store.(store.Spacer); !ok {
		t.Fatal("mem: does not report its free space")
	} else if free, _ := sp.Free(t.Context()); free != 1024 {
		t.Fatalf("mem:1KiB has %d free", free)
	}
	for _, bad := range []string{"dir:", "mem:lots", "mem:-5MiB", "s4:bucket", "mem:99999999TiB"} {
		if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "storage") {
			t.Errorf("%q: %v, want a clear refusal", bad, err)
		}
	}
}
