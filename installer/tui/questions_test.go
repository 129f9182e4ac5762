package tui

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/installer"
)

// toNetwork drives the first flow's machine up to the network screen.
func toNetwork(t *testing.T, o Options) *driver {
	t.Helper()
	d := newDriver(t, o)
	d.keys("enter", "space", "enter")
	d.expect(scrStorage)
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.expect(scrImpermanence)
	d.keys("enter")
	d.expect(scrNetwork)
	return d
}

// TestNetworkQuestions answers every network question: bridge and bond names, LACP rate,
// MTU, a static IPv6 address and search domains.
func TestNetworkQuestions(t *testing.T) {
	d := toNetwork(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("end", "enter", "ctrl+u")
	d.typ("br0")
	d.keys("enter")
	d.keys("down", "down", "x", "down", "x", "enter", "down", "enter") // members, 802.3ad
	if v := plainView(d.m); !strings.Contains(v, "LACP rate") || !strings.Contains(v, "Bond name") {
		t.Fatalf("no bond name and LACP rate page:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("bond1")
	d.keys("enter", "down", "enter") // LACP fast
	d.keys("enter", "enter")         // DHCP, no VLAN
	d.typ("9000")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "IPv6 address of the host") {
		t.Fatalf("no IPv6 page:\n%s", v)
	}
	d.keys("down", "down", "enter") // static
	d.typ("example.org lab.example.org")
	d.keys("enter")
	d.typ("ntp.example.org 192.0.2.123")
	d.keys("enter")
	d.typ("2001:db8::10/64")
	d.keys("enter")
	d.typ("fe80::1")
	d.keys("enter")
	d.expect(scrXen)
	n := d.m.st.a.Network
	want := installer.Network{
		Bridge: "br0", Bond: &installer.Bond{Name: "bond1", Mode: "802.3ad", Members: []string{"enp59s0f0", "enp59s0f1"}, LACPRate: "fast"},
		MTU: 9000, IPv4: installer.IPv4{Mode: installer.IPv4DHCP},
		IPv6:   installer.IPv6{Mode: installer.IPv6Static, Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("fe80::1")},
		Search: []string{"example.org", "lab.example.org"},
		NTP:    []string{"ntp.example.org", "192.0.2.123"},
	}
	a, b := d.m.st.a, d.m.st.a
	a.Network, b.Network = n, want
	compareAnswers(t, a, b)
}

// TestNetworkQuestionTyposRefused types an MTU too small and a bad search domain: each is
// refused where typed, naming its field's rule.
func TestNetworkQuestionTyposRefused(t *testing.T) {
	d := toNetwork(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter", "enter") // auto, xenbr0
	d.keys("enter", "enter")
	d.typ("576")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(strings.Join(strings.Fields(v), " "), "576 is out of range (want 1280..9216 while IPv6 is on") {
		t.Errorf("MTU 576 not refused where typed:\n%s", v)
	}
	d.keys("ctrl+u", "enter", "enter")
	d.typ("bad_domain!")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "not a domain name") {
		t.Errorf("search domain not refused where typed:\n%s", v)
	}
	d.keys("ctrl+u", "enter")
	d.typ("bad server!")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "not a host name or address") {
		t.Errorf("NTP server not refused where typed:\n%s", v)
	}
	d.expect(scrNetwork)
}

// TestPartialFileSkipsItsQuestions starts from a file that names the bridge but an uplink
// this machine lacks: the network screen is asked, without the bridge name question, and
// the file's bridge is kept.
func TestPartialFileSkipsItsQuestions(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	a, err := installer.Parse("partial.yaml", []byte("version: 1\nnetwork:\n  bridge: br7\n  uplinks: [nope0]\n"), o.Base)
	if err != nil {
		t.Fatal(err)
	}
	o.Base = a
	d := toNetwork(t, o)
	if v := plainView(d.m); strings.Contains(v, "Bridge name") {
		t.Errorf("the bridge name the file gave is asked again:\n%s", v)
	}
	d.keys("enter", "enter", "enter", "enter", "enter", "enter", "enter")
	d.expect(scrXen)
	if got := d.m.st.a.Network.Bridge; got != "br7" {
		t.Errorf("bridge = %q, want the file's br7", got)
	}
}

// TestHostQuestions answers the domain, the locale, root's keys from a file and the SSH
// policy.
func TestHostQuestions(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.pub")
	if err := os.WriteFile(keys, []byte("# ops\n"+testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := hostScreen(t)
	d.keys("ctrl+u")
	d.typ("xen-01")
	d.keys("enter")
	d.typ("lab.example.org")
	d.keys("enter", "enter", "enter", "ctrl+u") // time zone, keymap
	d.typ("de_DE.UTF-8")
	d.keys("enter", "enter", "enter", "enter") // no root password, no typed keys
	d.typ(keys)
	d.keys("enter", "enter", "enter", "enter", "enter") // no admin user
	if v := plainView(d.m); !strings.Contains(v, "Run the SSH server?") {
		t.Fatalf("no SSH page:\n%s", v)
	}
	d.keys("enter", "down", "enter", "left", "enter") // on, root login yes, passwords allowed
	d.expect(scrReview)
	a := d.m.st.a
	if a.Host.Domain != "lab.example.org" || a.Host.Locale != "de_DE.UTF-8" {
		t.Errorf("host = %+v, want domain lab.example.org, locale de_DE.UTF-8", a.Host)
	}
	if len(a.Users.Root.SSHKeys) != 1 || a.Users.Root.SSHKeys[0] != testKey {
		t.Errorf("root's keys = %q, want the file's key", a.Users.Root.SSHKeys)
	}
	if a.SSH.RootLogin != "yes" || !a.SSH.PasswordAuth || !a.SSHEnabled() {
		t.Errorf("ssh = %+v, want on, root login yes, password logins", a.SSH)
	}
}

// TestKeyFileRefused names a file that is not there: refused where typed.
func TestKeyFileRefused(t *testing.T) {
	d := hostScreen(t)
	d.keys("enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	d.typ("/nonexistent/keys.pub")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "cannot read /nonexistent/keys.pub") {
		t.Errorf("a missing key file is not refused where typed:\n%s", v)
	}
}

// TestStorageAndXenQuestions puts guest images in a directory of their own and sets a
// serial console; a bad console is refused where typed.
func TestStorageAndXenQuestions(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter", "space", "enter", "enter", "enter", "enter", "enter")
	if v := plainView(d.m); !strings.Contains(v, "Guest image directory") {
		t.Fatalf("no guest directory question:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("/srv/guests")
	d.keys("enter")
	d.expect(scrImpermanence)
	d.keys("enter")
	d.expect(scrNetwork)
	for range 8 {
		d.keys("enter")
	}
	d.expect(scrXen)
	d.keys("enter", "enter")
	d.typ("com1")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "is not a serial console") {
		t.Errorf("serial console com1 not refused where typed:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("ttyS1,115200")
	d.keys("enter", "enter")
	d.expect(scrHost)
	if a := d.m.st.a; a.Storage.Guests.Path != "/srv/guests" || a.Boot.SerialConsole != "ttyS1,115200" {
		t.Errorf("guests path %q, serial console %q; want /srv/guests, ttyS1,115200", a.Storage.Guests.Path, a.Boot.SerialConsole)
	}
}
