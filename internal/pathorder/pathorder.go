// Package pathorder is the one order of keys both sides share: a
// directory walk with sorted entries. Listings come in it, and sync
// merges two of them by it.
package pathorder

import "strings"

// Compare orders "/"-separated paths component by component, each
// compared octet by octet: "a/x" comes before "a-b", since "a" < "a-b".
// It returns -1, 0 or +1.
func Compare(a, b string) int {
	for {
		ac, arest, amore := strings.Cut(a, "/")
		bc, brest, bmore := strings.Cut(b, "/")
		if c := strings.Compare(ac, bc); c != 0 {
			return c
		}
		switch {
		case !amore && !bmore:
			return 0
		case !amore:
			return -1
		case !bmore:
			return 1
		}
		a, b = arest, brest
	}
}
