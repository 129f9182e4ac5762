package installer

import (
	"strings"
	"testing"
)

// TestSSHLoginMatchesHost: the "somebody can log in by SSH" check follows what the
// generated sshd allows (PermitRootLogin, PasswordAuthentication), and an admin without a
// password gets sudo without one (it is in wheel), so that nobody is locked out of root.
func TestSSHLoginMatchesHost(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"
	const hash = "$6$xennixexample$At1Pf.lHeGS3kYRtbgMK/h2dk8lCP.3BuTnJoa7OFhcch/wApbUbf2/DmJfad/Oa81k2Ihb527r7rIJ3UyMEy0"
	cases := []struct {
		name   string
		users  Users
		ssh    SSH
		wantOK bool
	}{
		{"admin password only, no password auth", Users{Admin: Account{Name: "ops", HashedPassword: hash}}, SSH{RootLogin: "prohibit-password"}, false},
		{"admin password only, root login no", Users{Admin: Account{Name: "ops", HashedPassword: hash}}, SSH{RootLogin: "no"}, false},
		{"admin password with password auth", Users{Admin: Account{Name: "ops", HashedPassword: hash}}, SSH{RootLogin: "no", PasswordAuth: true}, true},
		{"admin key", Users{Admin: Account{Name: "ops", SSHKeys: []string{key}}}, SSH{RootLogin: "no"}, true},
		{"admin locked password, password auth", Users{Admin: Account{Name: "ops", HashedPassword: "!"}, Root: Account{HashedPassword: hash}}, SSH{RootLogin: "no", PasswordAuth: true}, false},
		{"root key, prohibit-password", Users{Root: Account{SSHKeys: []string{key}}}, SSH{RootLogin: "prohibit-password"}, true},
		{"root key, root login no", Users{Root: Account{SSHKeys: []string{key}}}, SSH{RootLogin: "no"}, false},
		{"root password, prohibit-password, password auth", Users{Root: Account{HashedPassword: hash}}, SSH{RootLogin: "prohibit-password", PasswordAuth: true}, false},
		{"root password, root login yes, password auth", Users{Root: Account{HashedPassword: hash}}, SSH{RootLogin: "yes", PasswordAuth: true}, true},
		{"root password, root login yes, no password auth", Users{Root: Account{HashedPassword: hash}}, SSH{RootLogin: "yes"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := Defaults(nil)
			a.Host.Hostname = "xen-01"
			a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0001"}
			a.Users, a.SSH = tc.users, tc.ssh
			err := a.Validate(nil)
			sshProblem := false
			for _, p := range Problems(err) {
				if p.Field == "ssh" && strings.Contains(p.Error(), "nobody could log in by it") {
					sshProblem = true
				}
			}
			if sshProblem == tc.wantOK {
				t.Errorf("Validate = %v; want SSH login possible = %t", err, tc.wantOK)
			}
			// With SSH off, the SSH check says nothing.
			off := false
			a.SSH.Enable = &off
			for _, p := range Problems(a.Validate(nil)) {
				if p.Field == "ssh" {
					t.Errorf("SSH off: %v", p)
				}
			}
		})
	}
}

// TestSudoWithoutPassword: an admin (in wheel) without a usable password gets
// security.sudo.wheelNeedsPassword = false; with a password, sudo asks for it.
func TestSudoWithoutPassword(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"
	for _, tc := range []struct {
		hash   string
		nopass bool
	}{{"", true}, {"!", true}, {"*", true}, {"$6$xennixexample$At1Pf.lHeGS3kYRtbgMK/h2dk8lCP.3BuTnJoa7OFhcch/wApbUbf2/DmJfad/Oa81k2Ihb527r7rIJ3UyMEy0", false}} {
		a, r, _ := examplePlan(t, "uefi-ext4-dhcp", PlanOptions{Inputs: testInputs, HostModules: testModules})
		a.Users.Admin = Account{Name: "ops", HashedPassword: tc.hash, SSHKeys: []string{key}}
		p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
		if err != nil {
			t.Fatal(err)
		}
		var settings string
		for _, f := range p.Files() {
			if strings.HasSuffix(f.Path, "/settings.nix") {
				settings = string(f.Data)
			}
		}
		if got := strings.Contains(settings, "security.sudo.wheelNeedsPassword = false;"); got != tc.nopass {
			t.Errorf("admin hash %q: wheelNeedsPassword = false is %t in settings.nix, want %t", tc.hash, got, tc.nopass)
		}
		if tc.hash != "" && tc.hash != "!" && tc.hash != "*" && (!strings.Contains(settings, `hashedPasswordFile = "/var/lib/xennix/secrets/ops.hash";`) || strings.Contains(settings, tc.hash)) {
			t.Errorf("admin password not by file:\n%s", settings)
		}
		if (tc.hash == "!" || tc.hash == "*") && !strings.Contains(settings, `hashedPassword = "`+tc.hash+`";`) {
			t.Errorf("a locked admin is not locked:\n%s", settings)
		}
	}
}

// TestImpermanentPasswordFile: with impermanence the password file is on the persistent
// filesystem (mounted in the initrd), where activation can read it before the bind mounts.
func TestImpermanentPasswordFile(t *testing.T) {
	for _, name := range []string{"btrfs-impermanence", "tmpfs-root", "zfs-mirror-impermanence"} {
		t.Run(name, func(t *testing.T) {
			a, r, _ := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			a.Users.Root.HashedPassword = "$6$xennixexample$At1Pf.lHeGS3kYRtbgMK/h2dk8lCP.3BuTnJoa7OFhcch/wApbUbf2/DmJfad/Oa81k2Ihb527r7rIJ3UyMEy0"
			p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range p.Files() {
				if f.Path == "/mnt/persist/var/lib/xennix/secrets/root.hash" && f.Mode == 0o600 && f.Secret {
					found = true
				}
				if strings.HasSuffix(f.Path, "/settings.nix") {
					if !strings.Contains(string(f.Data), `hashedPasswordFile = "/persist/var/lib/xennix/secrets/root.hash";`) ||
						!strings.Contains(string(f.Data), `"/persist".neededForBoot = true;`) {
						t.Errorf("settings.nix:\n%s", f.Data)
					}
				}
			}
			if !found {
				t.Error("no root-only password file under /mnt/persist")
			}
		})
	}
}

// TestFirstBootBounds: a first-boot command over MaxFirstBootCommand, and a command given
// twice (each runs once, known by its text), are refused naming the entry.
func TestFirstBootBounds(t *testing.T) {
	cases := []struct {
		cmds  []string
		field string
		text  string
	}{
		{[]string{strings.Repeat("x", MaxFirstBootCommand+1)}, "install.first_boot[0]", "at most 65536"},
		{[]string{"true", strings.Repeat("y", 128<<10)}, "install.first_boot[1]", "131072 bytes"},
		{[]string{"echo a", "echo b", "echo a"}, "install.first_boot[2]", "the same command as install.first_boot[0]"},
		{[]string{" \t\n"}, "install.first_boot[0]", "empty command"},
		{[]string{strings.Repeat("z", MaxFirstBootCommand)}, "", ""},
	}
	for _, tc := range cases {
		a := Defaults(nil)
		a.Host.Hostname = "xen-01"
		a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0001"}
		a.Users.Root.SSHKeys = []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"}
		a.Install.FirstBoot = tc.cmds
		err := a.Validate(nil)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%d bytes: %v, want it accepted", len(tc.cmds[0]), err)
			}
			continue
		}
		found := false
		for _, p := range Problems(err) {
			if p.Field == tc.field && strings.Contains(p.Error(), tc.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("Validate = %v, want %s: %q", err, tc.field, tc.text)
		}
	}
}

// TestSavedAnswersDropWebhookCredentials: the host's saved answers (in the flake directory,
// hence in the store) keep a plain webhook URL but not one that carries credentials.
func TestSavedAnswersDropWebhookCredentials(t *testing.T) {
	for hook, keep := range map[string]bool{
		"https://deploy.example.org/xennix/events":                true,
		"https://ops:s3cret@deploy.example.org/xennix/events":     false,
		"https://deploy.example.org/xennix/events?token=abcdef12": false,
	} {
		a, r, _ := examplePlan(t, "lvm-thinpool-bond-vlan", PlanOptions{Inputs: testInputs, HostModules: testModules})
		a.Install.Webhook = hook
		p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Files() {
			if strings.HasSuffix(f.Path, "answers.yaml") {
				if got := strings.Contains(string(f.Data), "webhook: "+hook); got != keep {
					t.Errorf("%s in %s: %t, want %t", hook, f.Path, got, keep)
				}
				if strings.Contains(string(f.Data), "s3cret") || strings.Contains(string(f.Data), "abcdef12") {
					t.Errorf("%s holds a webhook credential", f.Path)
				}
			}
		}
	}
}

// TestSetupValidatesAgainstMachine: xennix-setup's Changes refuses an uplink the machine
// lacks, and still works on a host whose installed disk the scan no longer finds by its
// recorded name (the layout cannot change there anyway).
func TestSetupValidatesAgainstMachine(t *testing.T) {
	root, rep := installedTree(t, "bios-limine-static")
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	bad := h.Answers
	bad.Network.Uplinks = []string{"eth9"}
	_, err = h.Changes(bad, true)
	found := false
	for _, p := range Problems(err) {
		if p.Field == "network.uplinks[0]" && strings.Contains(p.Error(), `no interface named "eth9"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("Changes(uplink eth9) = %v, want it refused naming network.uplinks[0]", err)
	}
	// Without the hardware, only the form is checked: the same answers pass.
	noHW := h
	noHW.Report = nil
	if _, err := noHW.Changes(bad, true); err != nil {
		t.Errorf("without hardware: %v", err)
	}
	// The disk's by-id name changed: a network edit still applies.
	moved := *rep
	moved.Disks = nil
	for _, d := range rep.Disks {
		d.ByID, d.ByIDLinks = "/dev/disk/by-id/wwn-0xrenamed", []string{"/dev/disk/by-id/wwn-0xrenamed"}
		moved.Disks = append(moved.Disks, d)
	}
	hm, err := LoadHost(root, &moved)
	if err != nil {
		t.Fatal(err)
	}
	next := hm.Answers
	next.Network.DNS = nil
	if _, err := hm.Changes(next, true); err != nil {
		t.Errorf("Changes on a host whose disk was renamed: %v", err)
	}
}
