package cdc

import "sort"

// Op is one step of building a run of a file from another version of it:
// N octets at Off come from Src in the other version, or, when Src is
// Literal, from the data itself.
type Op struct {
	Off, N, Src int64
}

// Literal is the Src of octets found nowhere in the other version.
const Literal = -1

// Plan returns the steps that build [lo, hi) of a file cut into target
// (in order, covering the run) from the other version's chunks in ix:
// each octet of a chunk whose hash and length ix holds is copied, the
// rest is literal; adjacent steps of one kind (and, for copies, of
// adjacent sources) are joined.
func Plan(target []Chunk, ix Index, lo, hi int64) []Op {
	i := sort.Search(len(target), func(i int) bool { return target[i].Off+target[i].Len > lo })
	var ops []Op
	for ; i < len(target) && target[i].Off < hi; i++ {
		c := target[i]
		from, to := max(lo, c.Off), min(hi, c.Off+c.Len)
		src := int64(Literal)
		if s, ok := ix[c.Sum]; ok && s.Len == c.Len {
			src = s.Off + from - c.Off
		}
		if k := len(ops) - 1; k >= 0 && ops[k].Off+ops[k].N == from &&
			(src == Literal && ops[k].Src == Literal || src != Literal && ops[k].Src != Literal && ops[k].Src+ops[k].N == src) {
			ops[k].N += to - from
			continue
		}
		ops = append(ops, Op{Off: from, N: to - from, Src: src})
	}
	return ops
}

// Copied is how many octets of ops are copied rather than literal.
func Copied(ops []Op) int64 {
	var n int64
	for _, o := range ops {
		if o.Src != Literal {
			n += o.N
		}
	}
	return n
}
