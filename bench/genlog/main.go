// Command genlog writes an application log of a given size to standard
// output, the same every run (a fixed seed): timestamps, levels, request
// lines with ids, addresses and timings, now and then a stack trace.
// bench/wan.sh sends it to measure compression.
//
//	genlog -size 100000000 > app.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

func main() {
	size := flag.Int64("size", 100e6, "octets to write")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	t := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	levels := []string{"INFO", "INFO", "INFO", "INFO", "DEBUG", "DEBUG", "WARN", "ERROR"}
	methods := []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	paths := []string{"/api/v2/users/%d/orders", "/api/v2/items/%d", "/api/v2/carts/%d/checkout", "/static/js/app.%d.js", "/healthz", "/api/v2/search?q=item%d&page=2"}
	agents := []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"okhttp/4.12.0", "curl/8.5.0", "Go-http-client/2.0"}
	statuses := []int{200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 500, 503}
	var n int64
	for n < *size {
		t = t.Add(time.Duration(r.IntN(2000)) * time.Microsecond)
		lv := levels[r.IntN(len(levels))]
		var line string
		switch {
		case lv == "ERROR" && r.IntN(4) == 0:
			line = fmt.Sprintf("%s %-5s [worker-%d] handler panicked: runtime error: index out of range [%d] with length %d\n"+
				"\tgoroutine %d [running]:\n\tmain.(*server).serveItem(0xc000%06x, {0x%x, 0x%x})\n\t\t/src/app/server.go:%d +0x%x\n"+
				"\tnet/http.HandlerFunc.ServeHTTP(0xc000%06x, {0x%x, 0xc000%06x}, 0xc000%06x)\n\t\t/usr/lib/go/src/net/http/server.go:2220 +0x29\n",
				t.Format(time.RFC3339Nano), lv, r.IntN(32), r.IntN(64), r.IntN(64), r.IntN(100000), r.IntN(1<<24), r.IntN(1<<24), r.IntN(1<<16),
				100+r.IntN(400), r.IntN(1<<12), r.IntN(1<<24), r.IntN(1<<24), r.IntN(1<<24), r.IntN(1<<24))
		default:
			path := paths[r.IntN(len(paths))]
			if strings.Contains(path, "%d") {
				path = fmt.Sprintf(path, r.IntN(100000))
			}
			line = fmt.Sprintf("%s %-5s [worker-%d] http: %s %s status=%d bytes=%d dur=%.1fms req_id=%016x ip=10.%d.%d.%d ua=%q\n",
				t.Format(time.RFC3339Nano), lv, r.IntN(32), methods[r.IntN(len(methods))], path, statuses[r.IntN(len(statuses))],
				r.IntN(65536), r.Float64()*r.Float64()*300, r.Uint64(), r.IntN(4), r.IntN(256), r.IntN(256), agents[r.IntN(len(agents))])
		}
		if n+int64(len(line)) > *size {
			line = line[:*size-n]
		}
		k, err := w.WriteString(line)
		if err != nil {
			fmt.Fprintln(os.Stderr, "genlog:", err)
			os.Exit(1)
		}
		n += int64(k)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}
