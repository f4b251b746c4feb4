// Command startup times how long programs take to start and finish, each run
// in turn with the others (interleaved, so drift on a shared machine falls on
// all of them alike), and prints the median, the spread and each program's
// distance from the first one given, which is the baseline.
//
//	go run ./bench/startup -n 200 /tmp/hello -- flaxfile version
//
// Programs are separated by "--"; each is a command line run without a shell.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 100, "runs of each program")
	flag.Parse()
	progs := split(flag.Args())
	if len(progs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: startup [-n N] PROG [ARGS...] [-- PROG [ARGS...]]...")
		os.Exit(2)
	}
	times := make([][]time.Duration, len(progs))
	for i := 0; i < *n; i++ {
		for j, p := range progs {
			// Alternate who goes first, so neither is always warmed by the other.
			j = (j + i) % len(progs)
			p = progs[j]
			cmd := exec.Command(p[0], p[1:]...)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", strings.Join(p, " "), err)
				os.Exit(1)
			}
			times[j] = append(times[j], time.Since(start))
		}
	}
	base := median(times[0])
	for j, p := range progs {
		m := median(times[j])
		slices.Sort(times[j])
		lo, hi := times[j][len(times[j])/10], times[j][len(times[j])*9/10]
		fmt.Printf("%-40s median %6.2f ms  p10 %6.2f  p90 %6.2f  over baseline %+6.2f ms\n",
			strings.Join(append([]string{filepath.Base(p[0])}, p[1:]...), " "), ms(m), ms(lo), ms(hi), ms(m-base))
	}
}

func split(args []string) [][]string {
	var out [][]string
	var cur []string
	for _, a := range args {
		if a == "--" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
