package auth

import (
	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// Server is how a server authenticates: its CURVE mechanism, and in
// key-file mode the authorized keys that decide each client's rights.
type Server struct {
	// Mechanism is the CURVE server handshake.
	Mechanism *curve.Server
	// Access is the authorized-keys list; nil lets every client that
	// completes the handshake in with full rights (password mode, or key
	// mode without a list).
	Access *List
	// Public is the server's public key in Z85.
	Public string
	// Fingerprint is 1.2's fingerprint of the public key (password mode).
	Fingerprint string
}

// PasswordServer is a server in 1.2's password mode: its key pair comes
// from the password (KeysFromPassword).
func PasswordServer(password string) (*Server, error) {
	pub, sec, err := KeysFromPassword(password)
	if err != nil {
		return nil, err
	}
	mech, err := curve.NewServer(sec, nil)
	if err != nil {
		return nil, err
	}
	return &Server{Mechanism: mech, Public: pub.String(), Fingerprint: Fingerprint(pub)}, nil
}

// KeyFileServer is a server in key-file mode: its secret key from
// keyFile, and, when authorized is not empty, only the clients that file
// lists, with their rights.
func KeyFileServer(keyFile, authorized string) (*Server, error) {
	sec, err := ReadSecretKey(keyFile)
	if err != nil {
		return nil, err
	}
	s := &Server{}
	var check func(curve.Key) error
	if authorized != "" {
		if s.Access, err = Load(authorized); err != nil {
			return nil, err
		}
		check = func(k curve.Key) error { _, err := s.Access.Lookup(k); return err }
	}
	if s.Mechanism, err = curve.NewServer(sec, check); err != nil {
		return nil, err
	}
	s.Public = s.Mechanism.PublicKeyOf().String()
	return s, nil
}
