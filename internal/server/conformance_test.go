package server_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/pyzmq"
	"github.com/flaxfile/flaxfile/internal/server"
	"github.com/flaxfile/flaxfile/internal/server/servertest"
	"github.com/flaxfile/flaxfile/internal/store/disk"
	"github.com/flaxfile/flaxfile/internal/zmtp"
)

// startServer runs a server over a fresh store on 127.0.0.1:0; a non-empty
// password turns on CURVE with 1.2's derived key.
func startServer(t *testing.T, password string) (string, *disk.Store) {
	t.Helper()
	var mech zmtp.Mechanism
	if password != "" {
		mech = servertest.Password(t, password)
	}
	return servertest.Start(t, server.Config{}, mech)
}

// TestConformance12 drives our server with pyzmq DEALERs as 1.2 clients do
// and checks every command's reply frames byte for byte, plain and CURVE.
func TestConformance12(t *testing.T) {
	for _, password := range []string{"", "test"} {
		name := map[bool]string{true: "CURVE", false: "NULL"}[password != ""]
		t.Run(name, func(t *testing.T) {
			addr, _ := startServer(t, password)
			args := []string{"testdata/conformance.py", addr}
			if password != "" {
				pub, _, _ := auth.KeysFromPassword(password)
				args = append(args, pub.String())
			}
			cmd := exec.Command(pyzmq.Python(t), args...)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			checks := 0
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "FAIL") {
					t.Error(line)
				}
				checks++
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("conformance script: %v", err)
			}
			if checks < 60 {
				t.Errorf("only %d checks ran", checks)
			}
		})
	}
}
