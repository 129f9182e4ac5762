package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/installer"
)

// keymaps are common console keymaps (kbd's names), offered first as completions.
var keymaps = []string{"us", "uk", "de", "de-latin1", "de-latin1-nodeadkeys", "fr", "fr-latin1", "es", "it", "sg", "fr_CH", "dk", "no", "sv-latin1", "fi", "nl", "be-latin1", "pl", "cz", "hu", "pt-latin1", "br-abnt2", "ru", "jp106", "dvorak"}

// checkKeymap refuses a keymap kbd does not have: NixOS would fail to build the console
// setup with it, long after the install.
func checkKeymap(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || contains(kbdKeymaps, s) {
		return nil
	}
	var near []string
	for _, k := range kbdKeymaps {
		if strings.HasPrefix(k, s) || strings.HasPrefix(s, k) && len(k) >= 2 {
			near = append(near, k)
		}
	}
	if len(near) > 0 && len(near) <= 6 {
		return fmt.Errorf("%q is not a console keymap; did you mean %s?", s, strings.Join(near, ", "))
	}
	return fmt.Errorf("%q is not a console keymap (e.g. us, uk, de-latin1, fr, dvorak)", s)
}

// keymapSuggestions are the common keymaps, then every other one kbd has.
func keymapSuggestions() []string {
	out := append([]string{}, keymaps...)
	for _, k := range kbdKeymaps {
		if !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// hostForm asks for the host name, time zone and keymap, and the logins: root's password
// or SSH keys, and an optional admin user.
type hostForm struct {
	st                   *state
	hostname, tz, keymap string
	domain, locale       string
	rootKeyFile          string
	sshOn, sshPasswords  bool
	rootLogin            installer.RootLogin
	rootPw, rootPw2      string
	rootKeys             string
	adminName            string
	adminPw, adminPw2    string
	adminKeys            string
}

func (f *hostForm) load() {
	a := f.st.a
	f.hostname, f.tz, f.keymap = a.Host.Hostname, a.Host.Timezone, a.Host.Keymap
	if f.tz == "" {
		f.tz = "UTC"
	}
	f.rootPw, f.rootPw2, f.adminPw, f.adminPw2 = "", "", "", ""
	f.rootKeys = strings.Join(a.Users.Root.SSHKeys, "\n")
	f.adminName = a.Users.Admin.Name
	f.adminKeys = strings.Join(a.Users.Admin.SSHKeys, "\n")
	f.domain, f.locale = a.Host.Domain, a.Host.Locale
	if f.locale == "" {
		f.locale = "en_US.UTF-8"
	}
	f.rootKeyFile = ""
	f.sshOn, f.sshPasswords, f.rootLogin = a.SSHEnabled(), a.SSH.PasswordAuth, a.SSH.RootLogin
	if f.rootLogin == "" {
		f.rootLogin = "prohibit-password"
	}
}

// fileKeys reads the SSH public keys of a file (one per line, # comments skipped): keys
// brought on the answers medium or a USB stick instead of typed.
func fileKeys(path string) ([]string, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	var out []string
	for _, l := range keyLines(string(b)) {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no SSH public key", path)
	}
	return out, nil
}

func (f *hostForm) intro() string      { return "" }
func (f *hostForm) live(string) string { return "" }

func (f *hostForm) labels() map[string]string {
	return map[string]string{
		"host": "Host", "host.hostname": "Host name", "host.domain": "Domain", "host.locale": "Locale", "host.timezone": "Time zone", "host.keymap": "Console keymap",
		"users": "Logins", "users.root": "Root login", "users.root.password": "Root password",
		"users.root.hashed_password": "Root password", "users.root.ssh_keys": "Root's SSH public keys",
		"users.admin": "Admin user", "users.admin.name": "Admin user name",
		"users.admin.password": "Admin password", "users.admin.hashed_password": "Admin password",
		"users.admin.ssh_keys": "Admin's SSH public keys", "users.root.key_file": "Root's keys from a file",
		"ssh": "SSH server", "ssh.enable": "Run the SSH server?", "ssh.root_login": "Root login over SSH",
		"ssh.password_auth": "Allow password logins over SSH?",
	}
}

// check validates one field by the installer's rules, with the draft in place and the
// value just typed in it (huh's accessible prompts validate before they store it).
func (f *hostForm) check(field string, v *string) func(string) error {
	return func(s string) error {
		saved, old := f.st.a, *v
		defer func() { f.st.a, *v = saved, old }()
		*v = s
		_ = f.write(false)
		// The field's first problem, if any.
		if errs := sectionProblems(f.st, field); len(errs) > 0 {
			var fe *installer.FieldError
			if errors.As(errs[0], &fe) {
				return errors.New(inWords(fe.Err.Error(), f.labels()))
			}
			return errs[0]
		}
		return nil
	}
}

func (f *hostForm) pages() []page {
	pwDesc := func(who string, set bool) string {
		if set {
			return who + " already has a password; leave empty to keep it."
		}
		return "Leave empty for none (log in with an SSH key)."
	}
	return []page{
		{build: func() *huh.Group {
			g := []huh.Field{
				f.st.textField("Host name", "One label: letters, digits and hyphens.", &f.hostname, f.check("host.hostname", &f.hostname), false),
			}
			if !f.st.fileSet("host", func(a installer.Answers) any { return a.Host.Domain }) {
				g = append(g, f.st.textField("Domain", "The DNS domain: host name plus domain is the FQDN (e.g. lab.example.org); empty for none.",
					&f.domain, f.check("host.domain", &f.domain), true))
			}
			return huh.NewGroup(g...).Title("Host")
		}},
		{build: func() *huh.Group {
			var g []huh.Field
			if f.st.opts.Accessible {
				g = append(g, f.st.textField("Time zone", "An IANA name such as UTC or Europe/Berlin.", &f.tz, f.check("host.timezone", &f.tz), false))
			} else {
				g = append(g, huh.NewSelect[string]().Title("Time zone").Description("Type / to search.").
					Options(huh.NewOptions(timezones...)...).Filtering(false).Height(6).Value(&f.tz))
			}
			keymapDesc := "e.g. us, de-latin1, fr (ctrl+e completes)."
			if f.st.opts.Accessible {
				keymapDesc = "e.g. us, de-latin1, fr"
			}
			g = append(g, f.st.textField("Console keymap", keymapDesc, &f.keymap, func(s string) error {
				if err := checkKeymap(s); err != nil {
					return err
				}
				return f.check("host.keymap", &f.keymap)(s)
			}, false).Suggestions(keymapSuggestions()))
			if !f.st.fileSet("host", func(a installer.Answers) any { return a.Host.Locale }) {
				g = append(g, f.st.textField("Locale", "Language and formats of the host's messages; default en_US.UTF-8.",
					&f.locale, f.check("host.locale", &f.locale), false))
			}
			return huh.NewGroup(g...).Title("Time and keyboard")
		}},
		{build: func() *huh.Group {
			return huh.NewGroup(
				f.st.secret(huh.NewInput().Title(f.st.describedTitle("Root password", pwDesc("root", f.st.a.Users.Root.HashedPassword != ""))).Description(pwDesc("root", f.st.a.Users.Root.HashedPassword != "")).Value(&f.rootPw)),
				f.st.secret(huh.NewInput().Title("Root password again").Value(&f.rootPw2).Validate(orCurrent(&f.rootPw2, func(s string) error {
					if s != f.rootPw {
						return errors.New("the two passwords differ")
					}
					return nil
				}))),
				f.keysField("Root's SSH public keys", &f.rootKeys, "users.root.ssh_keys"),
				f.st.textField("Root's keys from a file", "Optional: a file of public keys, e.g. on the answers medium or a USB stick mounted by hand.",
					&f.rootKeyFile, func(s string) error { _, err := fileKeys(s); return err }, true),
			).Title("Root login")
		}},
		{build: func() *huh.Group {
			return huh.NewGroup(
				f.st.textField("Admin user name", "Optional: a user in the wheel group (sudo). Empty for none.",
					&f.adminName, f.check("users.admin.name", &f.adminName), true),
				f.st.secret(huh.NewInput().Title(f.st.describedTitle("Admin password", pwDesc("the admin user", f.st.a.Users.Admin.HashedPassword != ""))).Description(pwDesc("the admin user", f.st.a.Users.Admin.HashedPassword != "")).Value(&f.adminPw)),
				f.st.secret(huh.NewInput().Title("Admin password again").Value(&f.adminPw2).Validate(orCurrent(&f.adminPw2, func(s string) error {
					if s != f.adminPw {
						return errors.New("the two passwords differ")
					}
					return nil
				}))),
				f.keysField("Admin's SSH public keys", &f.adminKeys, "users.admin.ssh_keys"),
			).Title("Admin user")
		}},
		{show: func() bool { return !f.st.fileSet("ssh", func(a installer.Answers) any { return a.SSH }) }, build: func() *huh.Group {
			return huh.NewGroup(
				huh.NewConfirm().Title("Run the SSH server?").Affirmative("Yes").Negative("No").Value(&f.sshOn),
				huh.NewSelect[installer.RootLogin]().Title(choiceTitle(f.st, "Root login over SSH", rootLogins(), f.rootLogin)).Options(rootLogins()...).Value(&f.rootLogin),
				huh.NewConfirm().Title("Allow password logins over SSH?").
					Description("Off by default: keys only. On, any account with a password can log in with it.").
					Affirmative("Yes").Negative("No").Value(&f.sshPasswords),
			).Title("SSH server")
		}},
	}
}

// rootLogins are the choices of root's login over SSH (new options each time: a select
// marks the one it holds).
func rootLogins() []huh.Option[installer.RootLogin] {
	return []huh.Option[installer.RootLogin]{
		huh.NewOption("prohibit-password  with a key only (the default)", installer.RootLogin("prohibit-password")),
		huh.NewOption("yes                with a key or root's password", installer.RootLogin("yes")),
		huh.NewOption("no                 never: log in as the admin user", installer.RootLogin("no")),
	}
}

func (f *hostForm) keysField(title string, v *string, field string) huh.Field {
	if f.st.opts.Accessible {
		return f.st.textField(title, "One key (ssh-ed25519 AAAA... comment), or empty", v, f.check(field, v), true)
	}
	return huh.NewText().Title(title).Description("One per line (alt+enter: new line); empty: none.").
		Lines(3).Value(v).Validate(f.check(field, v))
}

func keyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// write puts the draft into the answers. Passwords are hashed at once (hash false stands
// a placeholder hash in for a typed password, for validation while typing).
func (f *hostForm) write(hash bool) error {
	a := &f.st.a
	a.Host.Hostname, a.Host.Timezone, a.Host.Keymap = strings.TrimSpace(f.hostname), f.tz, strings.TrimSpace(f.keymap)
	a.Host.Domain, a.Host.Locale = strings.TrimSpace(f.domain), strings.TrimSpace(f.locale)
	a.Users.Root.SSHKeys = keyLines(f.rootKeys)
	var errs []error
	if ks, err := fileKeys(f.rootKeyFile); err != nil {
		errs = append(errs, bad("users.root.key_file", err))
	} else {
		for _, k := range ks {
			if !contains(a.Users.Root.SSHKeys, k) {
				a.Users.Root.SSHKeys = append(a.Users.Root.SSHKeys, k)
			}
		}
	}
	// SSH: the defaults (on, keys only, root by key) stay unset, as in an answers file.
	switch {
	case !f.sshOn:
		off := false
		a.SSH.Enable = &off
	case a.SSH.Enable != nil && !*a.SSH.Enable:
		a.SSH.Enable = nil
	}
	a.SSH.RootLogin, a.SSH.PasswordAuth = f.rootLogin, f.sshPasswords
	a.Users.Admin.Name = strings.TrimSpace(f.adminName)
	a.Users.Admin.SSHKeys = keyLines(f.adminKeys)
	for _, p := range []struct {
		admin     bool
		pw, again string
		acc       *installer.Account
	}{{false, f.rootPw, f.rootPw2, &a.Users.Root}, {true, f.adminPw, f.adminPw2, &a.Users.Admin}} {
		switch {
		case p.pw == "":
		case p.pw != p.again:
			errs = append(errs, bad(map[bool]string{false: "users.root.password", true: "users.admin.password"}[p.admin], errors.New("the two passwords differ")))
		case !hash:
			p.acc.HashedPassword = "$6$placeholder$placeholderplaceholder"
		default:
			if err := a.SetPassword(p.admin, p.pw); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (f *hostForm) apply() error {
	err := f.write(true)
	// Typed once and hashed, the passwords are not kept in plain text any longer.
	if err == nil {
		f.rootPw, f.rootPw2, f.adminPw, f.adminPw2 = "", "", "", ""
	}
	errs := append([]error{err}, sectionProblems(f.st, "host", "users", "ssh")...)
	if kerr := checkKeymap(f.keymap); kerr != nil {
		errs = append(errs, bad("host.keymap", kerr))
	}
	return errors.Join(errs...)
}
