package installer

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
)

// cryptForms are the crypt(3) hash formats NixOS' users.users.<name>.hashedPassword takes
// (libxcrypt, which NixOS' shadow uses), each with the exact shape of its salt and hash: a
// hash of the wrong length or alphabet is not a password anybody can log in with, and
// counting it as one would let an install end with no usable login. Formats from
// libxcrypt's crypt(5) ("yescrypt", "sha512crypt", ...).
var cryptForms = map[string]struct {
	name string
	re   *regexp.Regexp
}{
	"y":  {"yescrypt", regexp.MustCompile(`^\$y\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{1,86}\$[./0-9A-Za-z]{43}$`)},
	"gy": {"gost-yescrypt", regexp.MustCompile(`^\$gy\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{1,86}\$[./0-9A-Za-z]{43}$`)},
	"7":  {"scrypt", regexp.MustCompile(`^\$7\$[./0-9A-Za-z]{11}[./0-9A-Za-z]{0,43}\$[./0-9A-Za-z]{43}$`)},
	"2a": {"bcrypt", bcryptRE}, "2b": {"bcrypt", bcryptRE}, "2x": {"bcrypt", bcryptRE}, "2y": {"bcrypt", bcryptRE},
	"6": {"SHA-512", regexp.MustCompile(`^\$6\$(rounds=[0-9]{4,9}\$)?[^$:\n]{1,16}\$[./0-9A-Za-z]{86}$`)},
	"5": {"SHA-256", regexp.MustCompile(`^\$5\$(rounds=[0-9]{4,9}\$)?[^$:\n]{1,16}\$[./0-9A-Za-z]{43}$`)},
}

var bcryptRE = regexp.MustCompile(`^\$2[abxy]\$(0[4-9]|[12][0-9]|3[01])\$[./0-9A-Za-z]{53}$`)

// checkCryptHash reports whether h is a locked account ("!" or "*") or a well-formed hash in
// one of cryptForms.
func checkCryptHash(h string) error {
	if h == "!" || h == "*" {
		return nil
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(h, "$"), "$")
	f, ok := cryptForms[id]
	switch {
	case !strings.HasPrefix(h, "$") || !ok:
		return errors.New("not a crypt(3) hash (yescrypt $y$, SHA-512 $6$, SHA-256 $5$, bcrypt $2b$, scrypt $7$, or ! to lock the account)")
	case !f.re.MatchString(h):
		return fmt.Errorf("a malformed %s crypt hash (wrong parameters, salt or hash length, or characters outside ./0-9A-Za-z)", f.name)
	}
	return nil
}

// sshdKeyTypes are the public key types OpenSSH's sshd accepts in authorized_keys (sshd(8)
// AUTHORIZED_KEYS FILE FORMAT). DSA ("ssh-dss") was removed in OpenSSH 10.0; certificates are
// presented by clients, not listed as keys.
var sshdKeyTypes = map[string]bool{
	ssh.KeyAlgoED25519:    true,
	ssh.KeyAlgoSKED25519:  true,
	ssh.KeyAlgoECDSA256:   true,
	ssh.KeyAlgoECDSA384:   true,
	ssh.KeyAlgoECDSA521:   true,
	ssh.KeyAlgoSKECDSA256: true,
	ssh.KeyAlgoRSA:        true,
}

// minRSABits is the smallest RSA key accepted: OpenSSH refuses keys below its
// RequiredRSASize (1024 since 9.1), and 2048 bits is the floor every current guideline
// (NIST SP 800-131A) keeps.
const minRSABits = 2048

// sshdOptions are the authorized_keys options sshd knows; those with a value take
// name="value" (sshd(8) AUTHORIZED_KEYS FILE FORMAT). sshd refuses a line with any other.
var sshdOptions = map[string]bool{ // name -> takes a value
	"agent-forwarding": false, "cert-authority": false, "command": true, "environment": true,
	"expiry-time": true, "from": true, "no-agent-forwarding": false, "no-port-forwarding": false,
	"no-pty": false, "no-user-rc": false, "no-X11-forwarding": false, "permitlisten": true,
	"permitopen": true, "port-forwarding": false, "principals": true, "pty": false,
	"no-touch-required": false, "verify-required": false, "restrict": false, "tunnel": true,
	"user-rc": false, "X11-forwarding": false,
}

// checkAuthorizedKey checks one authorized_keys entry the way sshd reads it: one line, a key
// type sshd accepts, RSA keys of at least minRSABits, and only options sshd knows.
func checkAuthorizedKey(k string) error {
	switch {
	case strings.ContainsRune(k, 0):
		return errors.New("contains a NUL byte")
	case strings.ContainsAny(k, "\n\r"):
		return errors.New("one key per entry, without line breaks")
	}
	pub, _, options, rest, err := ssh.ParseAuthorizedKey([]byte(k))
	if err != nil {
		return fmt.Errorf("not an SSH public key: %w", err)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return errors.New("more than one key in one entry")
	}
	t := pub.Type()
	if _, isCert := pub.(*ssh.Certificate); isCert {
		return fmt.Errorf("%s is a certificate, not a public key: list the key (or its CA with cert-authority)", t)
	}
	if !sshdKeyTypes[t] {
		//lint:ignore SA1019 recognising DSA keys is the point: to refuse them with a reason
		if t == ssh.KeyAlgoDSA {
			return errors.New("a DSA key (ssh-dss), which OpenSSH no longer accepts: use ssh-ed25519")
		}
		return fmt.Errorf("key type %s is not accepted by sshd", t)
	}
	if t == ssh.KeyAlgoRSA {
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return errors.New("an RSA key that cannot be read")
		}
		if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); !ok || rk.N.BitLen() < minRSABits {
			bits := 0
			if ok {
				bits = rk.N.BitLen()
			}
			return fmt.Errorf("an RSA key of %d bits: sshd needs at least %d (or use ssh-ed25519)", bits, minRSABits)
		}
	}
	for _, o := range options {
		name, _, hasValue := strings.Cut(o, "=")
		wantsValue, known := sshdOptions[name]
		switch {
		case !known:
			return fmt.Errorf("unknown option %q: sshd would ignore the whole key", name)
		case wantsValue != hasValue:
			if wantsValue {
				return fmt.Errorf("option %s needs a value (%s=\"…\")", name, name)
			}
			return fmt.Errorf("option %s takes no value", name)
		}
	}
	return nil
}
