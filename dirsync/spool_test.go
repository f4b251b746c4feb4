package dirsync

import (
	"slices"
	"testing"
)

func TestSpoolRoundTrip(t *testing.T) {
	in := []File{
		{Rel: "a", Action: ActionNew, Size: 0},
		{Rel: "dir/with\ttab and\nnewline", Action: ActionModified, Size: 1 << 40},
		{Rel: "gone", Action: ActionDelete, Size: 7},
	}
	for _, mem := range []bool{true, false} {
		s, err := newSpool(mem)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range in {
			if err := s.add(f); err != nil {
				t.Fatal(err)
			}
		}
		var all, dels []File
		s.each("", func(f File) bool { all = append(all, f); return true })
		s.each(ActionDelete, func(f File) bool { dels = append(dels, f); return true })
		if !slices.Equal(all, in) || len(dels) != 1 || dels[0] != in[2] {
			t.Fatalf("mem=%v: read back %+v, deletes %+v", mem, all, dels)
		}
		s.close()
	}
}
