package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/flaxfile/flaxfile"
	"github.com/spf13/cobra"
)

// Key files hold one Z85 key and a newline: the secret key in FILE
// (mode 0600), the public key in FILE.pub.

func newKeygenCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Write a new key pair: the secret key to FILE (mode 0600), the public key to FILE.pub",
		Long: "Write a new CURVE key pair for key-file mode: the secret key to FILE (mode 0600) and\n" +
			"the public key, in Z85, to FILE.pub. A server uses its pair with 'serve --key FILE';\n" +
			"a client with '--key FILE', and the server lists the client's public key in its\n" +
			"--authorized-keys file." + exitCodesHelp,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			pub, err := writeKeyPair(a[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, e.msg("keygenDone", a[0], a[0]+".pub"))
			fmt.Fprintln(e.stdout, pub)
			return nil
		},
	}
}

// writeKeyPair creates FILE and FILE.pub; neither may exist already.
func writeKeyPair(path string) (string, error) {
	pub, sec, err := flaxfile.GenerateKey()
	if err != nil {
		return "", err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := fmt.Fprintln(f, sec.String()); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	p, err := os.OpenFile(path+".pub", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		os.Remove(path)
		return "", err
	}
	if _, err := fmt.Fprintln(p, pub.String()); err != nil {
		p.Close()
		return "", err
	}
	return pub.String(), p.Close()
}

// readSecretKey reads a secret key file, refusing one that others may
// read.
func readSecretKey(path string) (flaxfile.Key, error) {
	path = expandHome(path)
	fi, err := os.Stat(path)
	if err != nil {
		return flaxfile.Key{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return flaxfile.Key{}, fmt.Errorf("key file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return flaxfile.Key{}, err
	}
	k, err := flaxfile.ParseKey(strings.TrimSpace(string(b)))
	if err != nil {
		return flaxfile.Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// expandHome replaces a leading "~/" with the home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// clientKeys resolves key-file mode for a client: --key and --server-key,
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
		return client, server, false, usageError{errors.New("key-file mode needs both --key FILE and --server-key KEY (or key_file and server_key in the config)")}
	}
	if client, err = readSecretKey(keyFile); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w (create one with 'flaxfile keygen %s')", err, keyFile)
		}
		return client, server, false, err
	}
	if server, err = flaxfile.ParseKey(strings.TrimSpace(serverKey)); err != nil {
		return client, server, false, usageError{fmt.Errorf("--server-key: %w", err)}
	}
	return client, server, true, nil
}
