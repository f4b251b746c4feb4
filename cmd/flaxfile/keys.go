package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/flaxfile/flaxfile"
	"github.com/flaxfile/flaxfile/internal/auth"
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
	"github.com/spf13/cobra"
)

// Key files hold one Z85 key and a newline: the secret key in FILE
// (mode 0600), the public key in FILE.pub.

func newKeygenCmd(e *env, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Write a new key pair: the secret key to FILE (mode 0600), the public key to FILE.pub",
		Long: "Write a new CURVE key pair for key-file mode: the secret key to FILE (mode 0600) and\n" +
			"the public key, in Z85, to FILE.pub. A server uses its pair with 'serve --identity FILE';\n" +
			"a client with '--identity FILE', and the server lists the client's public key in its\n" +
			"--authorized-keys file." + exitCodesHelp,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			pub, err := auth.WriteKeyPair(a[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(e.stdout, map[string]string{"secret_key_file": a[0], "public_key_file": a[0] + ".pub", "public_key": pub})
			}
			fmt.Fprintln(e.stdout, e.msg("keygenDone", a[0], a[0]+".pub"))
			fmt.Fprintln(e.stdout, pub)
			return nil
		},
	}
}

// clientKeys resolves key-file mode for a client: --identity and --server-key,
// else the named server's key_file and server_key. ok is false when key
// mode is not in use.
func (g *globals) clientKeys(keyFile, serverKey string) (client, server flaxfile.Key, ok bool, err error) {
	if g.keyFile != "" {
		keyFile = g.keyFile
	}
	if g.serverKey != "" {
		serverKey = g.serverKey
	}
	if keyFile == "" && serverKey == "" {
		return client, server, false, nil
	}
	if keyFile == "" || serverKey == "" {
		return client, server, false, usageError{errors.New("key-file mode needs both --identity FILE and --server-key KEY (or key_file and server_key in the config)")}
	}
	var sec curve.Key
	if sec, err = auth.ReadSecretKey(keyFile); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w (create one with 'flaxfile keygen %s')", err, keyFile)
		}
		return client, server, false, err
	}
	client = flaxfile.Key(sec)
	if strings.HasSuffix(serverKey, ".pub") { // the server's public key file
		b, err := os.ReadFile(auth.ExpandHome(serverKey))
		if err != nil {
			return client, server, false, usageError{fmt.Errorf("--server-key: %w", err)}
		}
		serverKey = string(b)
	}
	if server, err = flaxfile.ParseKey(strings.TrimSpace(serverKey)); err != nil {
		return client, server, false, usageError{fmt.Errorf("--server-key: %w", err)}
	}
	return client, server, true, nil
}
