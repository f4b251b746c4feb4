package main

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flaxfile/flaxfile"
)

// raceRuns is how many times each kill-and-rerun test kills a client.
const raceRuns = 50

// raceSize is the file the race tests move: 8 blocks.
const raceSize = 32 << 20

// logServer is `flaxfile serve` with its log kept, to count events.
type logServer struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  bytes.Buffer
}

func startLogServer(t *testing.T, dir string) *logServer {
	cmd := flaxfileCmd(t, "serve", "--host", "127.0.0.1", "--port", "0", "--storage-dir", dir, "--no-fsync")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	s := &logServer{cmd: cmd}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			s.addr = m[1]
			go func() {
				for sc.Scan() {
					s.mu.Lock()
					s.log.WriteString(sc.Text() + "\n")
					s.mu.Unlock()
				}
				_, _ = io.Copy(io.Discard, stderr)
			}()
			return s
		}
	}
	t.Fatal("server exited before listening")
	return nil
}

// count returns how many log lines hold s.
func (s *logServer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.log.String(), sub)
}

// timed runs a transfer to its end once and returns how long it took: the
// span the kills are spread over.
func timed(t *testing.T, args ...string) time.Duration {
	start := time.Now()
	jsonRun(t, args...)
	return time.Since(start)
}

// TestKillSetRandomly: a set killed (SIGKILL) at a random point and run
// again at once completes every time, the file is exact, and the rerun
// sends at most what the server had not recorded when the first was
// killed (everything only if the killed run had already published it).
// It failed about half the time with "upload incomplete: 2 of 192 blocks
// missing" or "Session not found" when a late chunk of the killed run
// landed during the rerun.
func TestKillSetRandomly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	srv := startLogServer(t, dir)
	src, data := randomSource(t, raceSize)
	span := timed(t, "--server", srv.addr, "set", src, "warm")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range raceRuns {
		key := "k" + itoa(i)
		cmd := flaxfileCmd(t, "--server", srv.addr, "set", src, key)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span)))) // the kill's moment, not a wait for anything
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		held := journalRecords(filepath.Join(dir, ".flaxfile-partial", "*.journal"))
		published := srv.count("upload published")
		r := jsonRun(t, "--server", srv.addr, "set", src, key)
		got, _ := os.ReadFile(filepath.Join(dir, key))
		if !bytes.Equal(got, data) {
			t.Fatalf("run %d: stored file differs", i)
		}
		// Two publications since the kill: the killed run's own PUT_END
		// had published the file, and the rerun started afresh.
		if limit := int64(raceSize - held*(4<<20)); *r.BytesSent > limit && srv.count("upload published") < published+2 {
			t.Errorf("run %d: the rerun sent %d octets; %d blocks were held", i, *r.BytesSent, held)
		}
	}
}

// TestKillGetRandomly: the same for get: the rerun completes, the output
// is exact, and it receives at most what the killed run had not recorded.
func TestKillGetRandomly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	srv := startLogServer(t, dir)
	src, data := randomSource(t, raceSize)
	jsonRun(t, "--server", srv.addr, "set", src, "k")
	outDir := t.TempDir()
	span := timed(t, "--server", srv.addr, "get", "k", filepath.Join(outDir, "warm"))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range raceRuns {
		out := filepath.Join(outDir, "out"+itoa(i))
		cmd := flaxfileCmd(t, "--server", srv.addr, "get", "k", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(span)))) // the kill's moment
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		held := journalRecords(out + flaxfile.PartialSuffix + ".journal")
		_, existed := os.Stat(out)
		r := jsonRun(t, "--server", srv.addr, "get", "k", out)
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, data) {
			t.Fatalf("run %d: downloaded file differs", i)
		}
		if limit := int64(raceSize - held*(4<<20)); existed != nil && *r.BytesReceived > limit {
			t.Errorf("run %d: the rerun received %d octets; %d blocks were held", i, *r.BytesReceived, held)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
