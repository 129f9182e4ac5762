package installer

import (
	"fmt"
	"regexp"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/sha512_crypt" // registers crypt.SHA512
)

// cryptRE matches the crypt(3) hashes NixOS accepts in users.users.<name>.hashedPassword:
// yescrypt ($y$, mkpasswd's default), gost-yescrypt, scrypt ($7$), bcrypt ($2b$ …),
// SHA-512 ($6$), SHA-256 ($5$); or "!" / "*" for an account without a password.
var cryptRE = regexp.MustCompile(`^(!|\*|\$(y|gy|7|2[abxy]|6|5)\$[./A-Za-z0-9$=,+-]{8,})$`)

// maxPasswordBytes bounds a plaintext password; a passphrase of some words is far shorter.
const maxPasswordBytes = 1024

// HashPassword returns a SHA-512 crypt(3) hash of a plaintext password with a random salt.
// SHA-512 rather than yescrypt because no maintained pure-Go yescrypt exists; NixOS reads
// both.
func HashPassword(plain string) (string, error) {
	// SHA-512 crypt hashes the password thousands of times: a 1 MB one takes minutes.
	if len(plain) > maxPasswordBytes {
		return "", fmt.Errorf("a password of %d bytes is too long (at most %d)", len(plain), maxPasswordBytes)
	}
	h, err := crypt.SHA512.New().Generate([]byte(plain), nil)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// hashPasswords replaces plaintext passwords by their hashes at once, so that a plaintext
// password never reaches a written file or a log.
func (a *Answers) hashPasswords(p *problems) {
	for _, acc := range []struct {
		path string
		a    *Account
	}{{"users.root", &a.Users.Root}, {"users.admin", &a.Users.Admin}} {
		if acc.a.Password == "" {
			continue
		}
		plain := acc.a.Password
		acc.a.Password = ""
		if acc.a.HashedPassword != "" {
			p.add(a.file, a.pos[acc.path+".password"], acc.path+".password", "give password or hashed_password, not both")
			continue
		}
		h, err := HashPassword(plain)
		if err != nil {
			p.add(a.file, a.pos[acc.path+".password"], acc.path+".password", "%v", err)
			continue
		}
		acc.a.HashedPassword = h
	}
}

// SetPassword hashes a plaintext password for the root account (admin false) or the admin
// user (admin true), for the TUI.
func (a *Answers) SetPassword(admin bool, plain string) error {
	h, err := HashPassword(plain)
	if err != nil {
		return err
	}
	if admin {
		a.Users.Admin.HashedPassword = h
	} else {
		a.Users.Root.HashedPassword = h
	}
	return nil
}
