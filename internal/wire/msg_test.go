package wire

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/cdc"
	"github.com/flaxfile/flaxfile/internal/digest"
)

// TestRequestsRoundTrip: every request decodes to what was encoded.
func TestRequestsRoundTrip(t *testing.T) {
	sum := digest.Small([]byte("x"))
	for _, tc := range []struct {
		req   Request
		parse func([][]byte) (any, error)
	}{
		{UploadStart{Session: "s", Key: "k/a", Size: 5, Window: 8, Hash: HashBlocks}, func(a [][]byte) (any, error) { return ParseUploadStart(a) }},
		{DownloadStart{Key: "k", Chunk: 4 << 20, Exact: true}, func(a [][]byte) (any, error) { return ParseDownloadStart(a) }},
		{DownloadStart{Key: "k"}, func(a [][]byte) (any, error) { return ParseDownloadStart(a) }},
		{List{Prefix: "p", WithHash: true}, func(a [][]byte) (any, error) { return ParseList(a) }},
		{Delete{Key: "k"}, func(a [][]byte) (any, error) { return ParseDelete(a) }},
		{Hello{Version: Version2}, func(a [][]byte) (any, error) { return ParseHello(a) }},
		{Put{Key: "k", Size: 9 << 20, Chunk: 8 << 20, MTime: 12345, Mode: 0o640, ID: "0123456789abcdef0123456789abcdef"}, func(a [][]byte) (any, error) { return ParsePut(a) }},
		{PutEnd{ID: "i", Sum: sum}, func(a [][]byte) (any, error) { return ParsePutEnd(a) }},
		{Get{Key: "k", Most: 100}, func(a [][]byte) (any, error) { return ParseGet(a) }},
		{GetEnd{Handle: "h"}, func(a [][]byte) (any, error) { return ParseGetEnd(a) }},
		{GetBlocks{Handle: "h"}, func(a [][]byte) (any, error) { return ParseGetBlocks(a) }},
		{Put{Key: "k", Size: 9 << 20, Chunk: 4 << 20, ID: "0123456789abcdef0123456789abcdef", Delta: true}, func(a [][]byte) (any, error) { return ParsePut(a) }},
		{PutSums{ID: "i", Blocks: []int64{0, 7}}, func(a [][]byte) (any, error) { return ParsePutSums(a) }},
		{GetSums{Handle: "h", Blocks: []int64{3}}, func(a [][]byte) (any, error) { return ParseGetSums(a) }},
		{PutPatch{ID: "i", Block: 3, Sum: sum, Pieces: []Piece{{Off: 0, Data: []byte("a")}, {Off: 2 * PatchPiece, Data: []byte("b")}}}, func(a [][]byte) (any, error) { return ParsePutPatch(a) }},
		{PutCuts{ID: "i"}, func(a [][]byte) (any, error) { return ParsePutCuts(a) }},
		{GetCuts{Handle: "h"}, func(a [][]byte) (any, error) { return ParseGetCuts(a) }},
		{PutBuild{ID: "i", Block: 2, Sum: sum, Steps: []cdc.Op{{Off: 0, N: 5, Src: 100}, {Off: 5, N: 2, Src: cdc.Literal}, {Off: 7, N: 9, Src: 0}}, Data: []byte("ab")}, func(a [][]byte) (any, error) { return ParsePutBuild(a) }},
		{List2{Prefix: "p", Hashes: true, Page: 10}, func(a [][]byte) (any, error) { return ParseList2(a) }},
		{ListNext{Cursor: "c"}, func(a [][]byte) (any, error) { return ParseListNext(a) }},
		{Keys{Cmd: CmdHashes, Keys: []string{"a", "b"}}, func(a [][]byte) (any, error) { return ParseKeys(CmdHashes, a) }},
		{PutSmall{Files: []SmallFile{{Key: "a", MTime: 1, Mode: 0o600, Sum: sum.String(), Data: []byte("x")}}}, func(a [][]byte) (any, error) { return ParsePutSmall(a) }},
	} {
		got, err := tc.parse(tc.req.Args())
		if err != nil {
			t.Errorf("%s: %v", tc.req.Command(), err)
			continue
		}
		if !reflect.DeepEqual(got, tc.req) {
			t.Errorf("%s: decoded %+v, encoded %+v", tc.req.Command(), got, tc.req)
		}
	}
	// Messages that keep a frame as received for the echo.
	uc, err := ParseUploadChunk(UploadChunk{ID: 7, Data: []byte("d")}.Args())
	if err != nil || uc.ID != 7 || string(uc.Data) != "d" || string(uc.IDFrame) != "7" {
		t.Errorf("UploadChunk: %+v %v", uc, err)
	}
	dc, err := ParseDownloadChunk(DownloadChunk{Key: "k", ID: 3, Handle: "h"}.Args())
	if err != nil || dc.ParseID() != nil || dc.ID != 3 || dc.Key != "k" || dc.Handle != "h" {
		t.Errorf("DownloadChunk: %+v %v", dc, err)
	}
	pc, err := ParsePutChunk(PutChunk{ID: "i", Offset: 8 << 20, Data: []byte("d"), Hashes: sum[:]}.Args())
	if err != nil || pc.Offset != 8<<20 || !bytes.Equal(pc.Hashes, sum[:]) {
		t.Errorf("PutChunk: %+v %v", pc, err)
	}
	gr, err := ParseGetRange(GetRange{Handle: "h", Offset: 4, Len: 5}.Args())
	if err != nil || gr.Offset != 4 || gr.Len != 5 || gr.CheckRange(9) != nil || gr.CheckRange(8) == nil {
		t.Errorf("GetRange: %+v %v", gr, err)
	}
}

// TestRepliesRoundTrip: every reply decodes to what was encoded.
func TestRepliesRoundTrip(t *testing.T) {
	sum := digest.Small([]byte("x"))
	ds := DownloadStartReply{Size: 10, Chunks: 1, Chunk: 16, Exact: true, Handle: "h"}
	if got, err := ParseDownloadStartReply(ds.Frames()); err != nil || got != ds {
		t.Errorf("DownloadStartReply: %+v %v", got, err)
	}
	pr := PutReply{ID: "i", Have: []Block{{Index: 1, Sum: sum}}}
	if got, err := ParsePutReply(pr.Frames(), 2); err != nil || !reflect.DeepEqual(got, pr) {
		t.Errorf("PutReply: %+v %v", got, err)
	}
	if _, err := ParsePutReply(pr.Frames(), 1); err == nil {
		t.Error("PutReply: a block past the end accepted")
	}
	pe := PutEndReply{Result: PutResult{Key: "k", Size: 1, Hash: sum.String(), BytesReceived: 1}}
	if got, err := ParsePutEndReply(pe.Frames()); err != nil || got != pe {
		t.Errorf("PutEndReply: %+v %v", got, err)
	}
	lp := ListPage{Cursor: "c", More: true, Entries: []byte("{}\n")}
	if got, err := ParseListPage(lp.Frames()); err != nil || !reflect.DeepEqual(got, lp) {
		t.Errorf("ListPage: %+v %v", got, err)
	}
	hr := HashesReply{Sums: []string{sum.String(), ""}}
	if got, err := ParseHashesReply(hr.Frames(), 2); err != nil || !reflect.DeepEqual(got, hr) {
		t.Errorf("HashesReply: %+v %v", got, err)
	}
	ps := SumsReply{Sums: []digest.Sum{sum, {}, sum}}
	if got, err := ParseSumsReply(ps.Frames(), CmdPutSums, 3, MaxSums); err != nil || !reflect.DeepEqual(got, ps) {
		t.Errorf("SumsReply: %+v %v", got, err)
	}
	if _, err := ParseSumsReply(ps.Frames(), CmdPutSums, 2, MaxSums); err == nil {
		t.Error("SumsReply: three hashes accepted for two")
	}
	if _, err := ParseSumsReply(ps.Frames(), CmdPutSums, 3, 2); err == nil {
		t.Error("SumsReply: accepted past its request's bound")
	}
	cr := CutsReply{Size: cdc.Min + 10, Chunks: []cdc.Chunk{{Off: 0, Len: cdc.Min, Sum: 7}, {Off: cdc.Min, Len: 10, Sum: 9}}}
	if got, err := ParseCutsReply(cr.Frames(), CmdGetCuts); err != nil || !reflect.DeepEqual(got, cr) {
		t.Errorf("CutsReply: %+v %v", got, err)
	}
	for _, bad := range []CutsReply{
		{Size: cdc.Min + 11, Chunks: cr.Chunks},                      // cuts short of the size
		{Size: cdc.Min + 9, Chunks: cr.Chunks},                       // cuts past it
		{Size: MaxCutsFile + 1},                                      // a file too large to cut
		{Size: 20, Chunks: make([]cdc.Chunk, 3)},                     // more cuts than the size allows
		{Size: cdc.Max + 1, Chunks: []cdc.Chunk{{Len: cdc.Max + 1}}}, // a cut too long
	} {
		if _, err := ParseCutsReply(bad.Frames(), CmdGetCuts); err == nil {
			t.Errorf("CutsReply accepted: size %d, %d cuts", bad.Size, len(bad.Chunks))
		}
	}
	for _, steps := range [][]cdc.Op{
		nil,                                 // no step
		{{N: 3, Src: cdc.Literal}},          // 3 literal octets, 2 of data
		{{N: digest.BlockSize + 1, Src: 0}}, // more than a block
		{{N: 0, Src: 0}, {N: 2, Src: cdc.Literal}}, // an empty step
	} {
		args := PutBuild{ID: "i", Sum: sum, Steps: steps, Data: []byte("ab")}.Args()
		if _, err := ParsePutBuild(args); err == nil {
			t.Errorf("PutBuild accepted steps %+v", steps)
		}
	}
	for _, st := range []string{ReplyAck, ReplyChunk, ReplyData} {
		n := Numbered{Status: st, N: 42, Data: []byte("d")}
		got, err := ParseNumbered(n.Frames(), "REQ", st)
		if err != nil || got.N != 42 || (st != ReplyAck && string(got.Data) != "d") {
			t.Errorf("Numbered %s: %+v %v", st, got, err)
		}
	}
	if e, ok := ParseError(ErrorReply{Message: "no"}.Frames()); !ok || e.Message != "no" {
		t.Errorf("ErrorReply: %+v", e)
	}
}

// FuzzParse runs every request decoder on arbitrary arguments: none
// panics, and whatever one accepts encodes to arguments that decode to it
// again.
func FuzzParse(f *testing.F) {
	f.Add([]byte("k\x0010\x0016777216\x001\x00420\x000123456789abcdef0123456789abcdef"))
	f.Add([]byte("s\x00k\x005\x008\x00xxh3-128"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		args := bytes.Split(raw, []byte{0})
		if m, err := ParsePut(args); err == nil {
			if back, err := ParsePut(m.Args()); err != nil || back != m {
				t.Fatalf("PUT %+v came back %+v, %v", m, back, err)
			}
		}
		if m, err := ParseUploadStart(args); err == nil {
			if back, err := ParseUploadStart(m.Args()); err != nil || back != m {
				t.Fatalf("UPLOAD_START %+v came back %+v, %v", m, back, err)
			}
		}
		if m, err := ParseList2(args); err == nil {
			if back, err := ParseList2(m.Args()); err != nil || back != m {
				t.Fatalf("LIST %+v came back %+v, %v", m, back, err)
			}
		}
		_, _ = ParseDownloadStart(args)
		if m, err := ParseDownloadChunk(args); err == nil {
			_ = m.ParseID()
		}
		_, _ = ParseUploadChunk(args)
		_, _ = ParsePutChunk(args)
		_, _ = ParsePutEnd(args)
		_, _ = ParseGet(args)
		if m, err := ParseGetRange(args); err == nil {
			_ = m.CheckRange(1 << 20)
		}
		_, _ = ParsePutSmall(args)
		_, _ = ParseKeys(CmdGetSmall, args)
		_, _ = ParseGetSmallReply(args, 1)
		_, _ = ParseGetReply(args)
		_, _ = ParsePutReply(args, 4)
		_, _ = ParseGetBlocks(args)
		_, _ = ParseSumsReply(args, CmdGetBlocks, 2, MaxGetBlocks)
		_, _ = ParseGetSums(args)
		if m, err := ParsePutSums(args); err == nil {
			if back, err := ParsePutSums(m.Args()); err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("PUT_SUMS %+v came back %+v, %v", m, back, err)
			}
		}
		_, _ = ParseCutsReply(args, CmdGetCuts)
		if list, err := ParsePartialsReply(args); err == nil {
			if back, err := ParsePartialsReply(PartialsReply(list)); err != nil || len(back) != len(list) {
				t.Fatalf("PARTIALS reply of %d came back %d, %v", len(list), len(back), err)
			}
		}
		_, _ = ParseCountReply(CmdPartialsClear, args)
		_, _ = ParseStatusReply(args)
		if m, err := ParsePutBuild(args); err == nil {
			if back, err := ParsePutBuild(m.Args()); err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("PUT_BUILD %+v came back %+v, %v", m, back, err)
			}
		}
		if m, err := ParsePutPatch(args); err == nil {
			if back, err := ParsePutPatch(m.Args()); err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("PUT_PATCH %+v came back %+v, %v", m, back, err)
			}
		}
	})
}

// FeaturesOn reads the features a HELLO reply turns on: true values
// only; anything unreadable or too long turns none on.
func TestFeaturesOn(t *testing.T) {
	on := HelloReply{Features: []byte(`{"delta":true,"patch":false,"block":4194304,"delta_get":"yes"}`)}.FeaturesOn()
	if !on[FeatureDelta] || on[FeaturePatch] || on["block"] || on[FeatureDeltaGet] || len(on) != 1 {
		t.Errorf("FeaturesOn: %v", on)
	}
	for _, raw := range []string{"", "[true]", `{"delta":true`, `{"delta":true,"x":"` + strings.Repeat("a", MaxFeatures) + `"}`} {
		if on := (HelloReply{Features: []byte(raw)}).FeaturesOn(); len(on) != 0 {
			t.Errorf("FeaturesOn(%.20q…) = %v, want nothing", raw, on)
		}
	}
}

// PartChunk reads the chunk size a server asks for: whole blocks of at
// most MaxChunk2, else none.
func TestPartChunk(t *testing.T) {
	for raw, want := range map[string]int64{
		`{"part_chunk":8388608}`:                            8 << 20,
		`{"part_chunk":4194304,"delta":true}`:               4 << 20,
		`{"part_chunk":5000000}`:                            0, // not whole blocks
		`{"part_chunk":-8388608}`:                           0,
		`{"part_chunk":8388608.5}`:                          0,
		`{"part_chunk":"8388608"}`:                          0,
		`{"part_chunk":1e300}`:                              0,
		fmt.Sprintf(`{"part_chunk":%d}`, MaxChunk2+(4<<20)): 0,
		`{}`: 0, ``: 0,
	} {
		if got := (HelloReply{Features: []byte(raw)}).PartChunk(); got != want {
			t.Errorf("PartChunk(%s) = %d, want %d", raw, got, want)
		}
	}
}

func TestNamespace(t *testing.T) {
	long := strings.Repeat("a", MaxNamespace+1)
	for raw, want := range map[string]string{
		`{"namespace":"s3:0f1e"}`:         "s3:0f1e",
		`{"namespace":"a b"}`:             "", // not printable without spaces
		"{\"namespace\":\"a\\u001b[2J\"}": "", // a terminal escape
		`{"namespace":42}`:                "",
		`{"namespace":"` + long + `"}`:    "",
		`{"namespace":"ok","delta":true}`: "ok",
		`{}`:                              "",
		``:                                "",
	} {
		if got := (HelloReply{Features: []byte(raw)}).Namespace(); got != want {
			t.Errorf("Namespace(%s) = %q, want %q", raw, got, want)
		}
	}
}
