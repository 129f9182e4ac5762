package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/xennix/xennix/nixexpr"
)

// Where an installed host keeps its password hashes: root-only (0600) files outside
// /etc/nixos. Not in settings.nix or answers.yaml: /etc/nixos is the host's flake, and
// nixos-rebuild copies a flake's whole directory into the Nix store, readable by every user
// (and a hashedPassword option's value lands in the store besides). NixOS reads the file
// named by users.users.<name>.hashedPasswordFile at activation
// (nixos/modules/config/users-groups.nix, update-users-groups.pl).
const (
	SecretsDir = "/var/lib/xennix/secrets"
	// PersistPath is xennix.impermanence.persistPath's default (assets/nixos/impermanence.nix),
	// which settings.nix never changes. With impermanence the hash files live there: the
	// activation that reads them runs before impermanence's bind mounts of /var/lib/xennix
	// exist, and the host modules mount the persistent filesystem in the initrd
	// (neededForBoot).
	PersistPath = "/persist"
)

// impermanent reports whether / is reset at every boot.
func (a Answers) impermanent() bool {
	return a.Impermanence.Preset != "" && a.Impermanence.Preset != ImpermanenceNone
}

// PasswordFile is the file on the installed host that holds the password hash of the
// account named name.
func (a Answers) PasswordFile(name string) string {
	p := path.Join(SecretsDir, name+".hash")
	if a.impermanent() {
		p = path.Join(PersistPath, p)
	}
	return p
}

type namedAccount struct {
	name string
	acc  *Account
}

func (a *Answers) accounts() []namedAccount {
	out := []namedAccount{{"root", &a.Users.Root}}
	if a.Users.Admin.Name != "" {
		out = append(out, namedAccount{a.Users.Admin.Name, &a.Users.Admin})
	}
	return out
}

// setPassword sets an account's password option in its users.users entry: the file with
// the hash for a real password, or the hash inline for a locked account ("!", "*"), which
// is no secret.
func (a Answers) setPassword(u *nixexpr.Attrs, name string, acc Account) {
	switch {
	case hasPassword(acc):
		u.Set("hashedPasswordFile", nixexpr.String(a.PasswordFile(name)))
	case acc.HashedPassword != "":
		u.Set("hashedPassword", nixexpr.String(acc.HashedPassword))
	}
}

// passwordFiles are the hash files of the accounts with a password, at their paths on the
// installed host (PasswordFile), mode 0600.
func (a Answers) passwordFiles() []File {
	var out []File
	for _, na := range a.accounts() {
		if hasPassword(*na.acc) {
			out = append(out, File{Path: a.PasswordFile(na.name), Data: []byte(na.acc.HashedPassword + "\n"), Mode: 0o600, Secret: true})
		}
	}
	return out
}

// withoutHashes returns the answers with every password hash cleared (a lock, "!" or "*",
// stays): the form written to /etc/nixos/xennix/answers.yaml and the applied record. The
// hashes are in the PasswordFile files, from which LoadHost reads them back.
func (a Answers) withoutHashes() Answers {
	for _, na := range a.accounts() {
		na.acc.Password = ""
		if hasPassword(*na.acc) {
			na.acc.HashedPassword = ""
		}
	}
	return a
}

// holdsSecret reports whether the answers carry a password (as given, or hashed on reading).
func (a Answers) holdsSecret() bool {
	for _, na := range a.accounts() {
		if hasPassword(*na.acc) || na.acc.Password != "" {
			return true
		}
	}
	return false
}

// KeepPasswords gives every account of a without a password hash the hash the host keeps in
// its PasswordFile: answers that say nothing about a password keep it. (To remove one, lock
// the account with hashed_password: "!".)
func (h InstalledHost) KeepPasswords(a *Answers) error {
	var errs []error
	for _, na := range a.accounts() {
		if na.acc.HashedPassword != "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(h.Root, a.PasswordFile(na.name)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("the password of %s: %w", na.name, err))
			continue
		}
		hash := strings.TrimSpace(string(b))
		if !cryptRE.MatchString(hash) {
			errs = append(errs, fmt.Errorf("the password of %s: %s does not hold a crypt(3) hash", na.name, a.PasswordFile(na.name)))
			continue
		}
		na.acc.HashedPassword = hash
	}
	return errors.Join(errs...)
}
