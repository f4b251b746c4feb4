package auth

import (
	"encoding/hex"
	"testing"

	"github.com/flaxfile/flaxfile/internal/zmtp/curve"
)

// The test vectors of compat §7, checked there against pyzmq.
func TestKeysFromPassword(t *testing.T) {
	for _, v := range []struct {
		password, secret, public, z85, fingerprint string
	}{
		{"test",
			"70759207c2a30da5bef04adca430b13dcddfb4ebd163ed001866b2d2a53b85af",
			"9f96dda4adf7ff3fa3b57f5750993592fbd510f3c602a94e3aee0b2a4a00a347",
			"Po!reT[R&WQQtOMp)<h7}{=nH-SAbmi{)w9n=URR",
			"SHA256:59f3c9fe2198daed92bb1feb38891b3a..."},
		{"s3cret-pass-123",
			"59d03e476e68b496b9551ac42200226bef3a1f0d67321d85444c62cd8b1e6176",
			"2514f4fe03fa8a9e9e65f552f2112cde8a613e56f75174ef308857c657c6b376",
			"",
			"SHA256:f9584a467e5d96d4efb2acb9f9a15c93..."},
	} {
		pub, sec, err := KeysFromPassword(v.password)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(sec[:]); got != v.secret {
			t.Errorf("%q: secret %s, want %s", v.password, got, v.secret)
		}
		if got := hex.EncodeToString(pub[:]); got != v.public {
			t.Errorf("%q: public %s, want %s", v.password, got, v.public)
		}
		if v.z85 != "" && pub.String() != v.z85 {
			t.Errorf("%q: Z85 %s, want %s", v.password, pub, v.z85)
		}
		if got := Fingerprint(pub); got != v.fingerprint {
			t.Errorf("%q: fingerprint %s, want %s", v.password, got, v.fingerprint)
		}
		back, err := curve.ParseKey(pub.String())
		if err != nil || back != pub {
			t.Errorf("%q: ParseKey round trip: %v", v.password, err)
		}
	}
}
