package tui

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/installer"
)

// act is one step of a scripted flow: wait for a word on the screen, press keys, or type.
type act struct {
	wait string
	keys []string
	typ  string
}

func wait(s string) act      { return act{wait: s} }
func press(ks ...string) act { return act{keys: ks} }
func typed(s string) act     { return act{typ: s} }
func replace(s string) []act { return []act{press("ctrl+u"), typed(s)} }
func flat(groups ...[]act) []act {
	var out []act
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// hostAndUsers fills the host screen: a host name and root's SSH key, nothing else.
func hostAndUsers(hostname string) []act {
	return flat(
		[]act{wait("Domain")}, replace(hostname), []act{press("enter", "enter")},
		[]act{wait("keymap"), press("enter", "enter", "enter")},
		[]act{wait("Root's"), press("enter", "enter"), typed(testKey), press("enter", "enter")},
		[]act{wait("Admin's"), press("enter", "enter", "enter", "enter")},
		[]act{wait("Run the SSH server"), press("enter", "enter", "enter")},
	)
}

type flow struct {
	name    string
	machine string
	script  []act
	want    func(a *installer.Answers)
	disks   []string // by-id paths confirmed
}

func flows() []flow {
	return []flow{
		{
			name: "uefi-nvme-ext4-dhcp-defaults", machine: "uefi-ext4-dhcp",
			script: flat(
				[]act{wait("Firmware"), press("enter")},
				// The disk holds a Windows partition: it is not picked for the operator.
				[]act{wait("CONTENTS"), press("space", "enter")},
				[]act{wait("Encrypt"), press("enter", "enter")},
				[]act{wait("Swap"), press("enter", "enter")},
				[]act{wait("image directory"), press("enter")},
				[]act{wait("Resetting"), press("enter")},
				[]act{wait("Uplink"), press("enter", "enter")},
				[]act{wait("VLAN"), press("enter", "enter", "enter")},
				[]act{wait("IPv6"), press("enter", "enter", "enter")},
				[]act{wait("vCPUs"), press("enter", "enter", "enter")},
				[]act{wait("reserve"), press("enter")},
				hostAndUsers("xen-01"),
				[]act{wait("Commands"), press("c")},
				[]act{wait("everything"), typed("nvme0n1"), press("enter")},
			),
			want: func(a *installer.Answers) {
				a.Host.Hostname = "xen-01"
				a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4"}
				a.Users.Root.SSHKeys = []string{testKey}
			},
			disks: []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4"},
		},
		{
			name: "bios-static-bond-vlan-lvm", machine: "bios-limine-static",
			script: flat(
				[]act{wait("Firmware"), press("enter")},
				[]act{wait("CONTENTS"), press("enter")},
				[]act{wait("Encrypt"), press("down", "enter", "enter")},
				flat([]act{wait("Swap")}, replace("8GiB"), []act{press("enter", "enter")}),
				[]act{wait("Resetting"), press("enter")},
				[]act{wait("Uplink"), press("end", "enter", "enter")},
				[]act{wait("members"), press("down", "down", "x", "down", "x", "enter", "down", "enter")},
				[]act{wait("LACP rate"), press("enter", "enter")},
				[]act{wait("VLAN"), press("down", "enter"), typed("20"), press("enter", "enter")},
				[]act{wait("Gateway"), typed("198.51.100.17/26"), press("enter"), typed("198.51.100.1"), press("enter"), typed("198.51.100.2"), press("enter")},
				[]act{wait("IPv6"), press("enter", "enter", "enter")},
				[]act{wait("vCPUs"), press("enter", "enter", "enter")},
				[]act{wait("available"), press("enter")},
				hostAndUsers("legacy-01"),
				[]act{wait("Commands"), press("c")},
				[]act{wait("everything"), typed("sda"), press("enter")},
			),
			want: func(a *installer.Answers) {
				a.Host.Hostname = "legacy-01"
				a.Disks.IDs = []string{"/dev/disk/by-id/ata-Samsung_SSD_870_EVO_500GB_S62ANZ0R123456"}
				a.Storage.Preset = installer.PresetLVM
				a.Storage.Swap = 8 * installer.GiB
				a.Network.Bond = &installer.Bond{Mode: "802.3ad", Members: []string{"enp59s0f0", "enp59s0f1"}}
				a.Network.VLAN = 20
				a.Network.IPv4 = installer.IPv4{Mode: installer.IPv4Static, Address: netip.MustParsePrefix("198.51.100.17/26"), Gateway: netip.MustParseAddr("198.51.100.1")}
				a.Network.DNS = []netip.Addr{netip.MustParseAddr("198.51.100.2")}
				a.Users.Root.SSHKeys = []string{testKey}
			},
			disks: []string{"/dev/disk/by-id/ata-Samsung_SSD_870_EVO_500GB_S62ANZ0R123456"},
		},
		{
			name: "zfs-mirror-impermanence-passthrough", machine: "zfs-mirror-impermanence",
			script: flat(
				[]act{wait("Firmware"), press("enter")},
				[]act{wait("CONTENTS"), press("space", "down", "space", "enter")},
				[]act{wait("Encrypt"), press("down", "down", "down", "enter", "enter")},
				[]act{wait("Swap"), press("enter", "enter")},
				[]act{wait("blank"), press("down", "enter")},
				[]act{wait("directories"), typed("/var/lib/acme"), press("enter", "enter")},
				[]act{wait("Uplink"), press("enter", "enter")},
				[]act{wait("VLAN"), press("enter", "enter", "enter")},
				[]act{wait("IPv6"), press("enter", "enter", "enter")},
				[]act{wait("vCPUs"), press("enter", "enter", "enter")},
				[]act{wait("reserve"), press("x", "enter")},
				hostAndUsers("vault-01"),
				[]act{wait("Commands"), press("c")},
				[]act{wait("everything"), typed("nvme0n1"), press("enter")},
				// The next disk's prompt differs by one character: nothing new to wait for, and
				// the text input keeps the focus, so typing on is safe.
				[]act{typed("nvme1n1"), press("enter")},
			),
			want: func(a *installer.Answers) {
				a.Host.Hostname = "vault-01"
				a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4", "/dev/disk/by-id/nvme-eui.0025385b71b2c3d5"}
				a.Storage.Preset = installer.PresetZFS
				a.Storage.Mirror = true
				a.Impermanence = installer.Impermanence{Preset: installer.ImpermanenceZFS, Directories: []string{"/var/lib/acme"}}
				a.Xen.Passthrough = []guests.PCIAddress{{Bus: 0x41}}
				a.Users.Root.SSHKeys = []string{testKey}
			},
			disks: []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4", "/dev/disk/by-id/nvme-eui.0025385b71b2c3d5"},
		},
	}
}

func wantAnswers(t *testing.T, fl flow) installer.Answers {
	o := testOptions(t, fl.machine)
	want := o.Base
	fl.want(&want)
	return want
}

func compareAnswers(t *testing.T, got, want installer.Answers) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := got.Marshal()
		w, _ := want.Marshal()
		t.Errorf("answers differ:\n--- got\n%s--- want\n%s", g, w)
	}
}

// TestFlows runs each flow on a real bubbletea program at 80x24, waiting for each screen
// before pressing keys; the run ends at the review confirmation.
func TestFlows(t *testing.T) {
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			o := testOptions(t, fl.machine)
			m := newApp(t.Context(), o)
			tm := newTermModel(t, newSettler(m), 80, 24)
			play(t, tm, fl.script)
			final := tm.FinalModel(t).(*app)
			if final.err != nil {
				t.Fatalf("Run error = %v", final.err)
			}
			compareAnswers(t, final.st.a, wantAnswers(t, fl))
			if !reflect.DeepEqual(final.st.confirmed, fl.disks) {
				t.Errorf("confirmed = %q, want %q", final.st.confirmed, fl.disks)
			}
		})
	}
}

// TestFlowsDriven runs the same scripts without a terminal, checking each awaited word is
// on the screen at that moment: the scripts themselves are checked deterministically.
func TestFlowsDriven(t *testing.T) {
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			d := newDriver(t, testOptions(t, fl.machine))
			drive(t, d, fl.script)
			if !d.quit {
				t.Fatalf("the run did not end at the confirmation; screen:\n%s", d.m.render())
			}
			compareAnswers(t, d.m.st.a, wantAnswers(t, fl))
		})
	}
}

// TestFlowsStray runs the scripts with a stray message before every message the program
// handles, as a blinking cursor's or a late command's can arrive in a real program: the
// flows must not depend on where such a message lands (a completed form screen took one
// for a second completion and skipped the next screen).
func TestFlowsStray(t *testing.T) {
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			d := newDriver(t, testOptions(t, fl.machine))
			d.stray = true
			drive(t, d, fl.script)
			if !d.quit {
				t.Fatalf("the run did not end at the confirmation; screen:\n%s", d.m.render())
			}
			compareAnswers(t, d.m.st.a, wantAnswers(t, fl))
		})
	}
}

func play(t *testing.T, tm *termModel, script []act) {
	t.Helper()
	for _, a := range script {
		switch {
		case a.wait != "":
			t.Logf("waiting for %q", a.wait)
			tm.WaitFor(t, a.wait)
		case a.typ != "":
			tm.Type(a.typ)
		default:
			// No pause between keys: the settler holds each key until what the one
			// before set off (huh's focus moves) has come back.
			for _, k := range a.keys {
				tm.Send(keyMsg(k))
			}
		}
	}
}

func drive(t *testing.T, d *driver, script []act) {
	t.Helper()
	for i, a := range script {
		switch {
		case a.wait != "":
			if view := ansi.Strip(d.root.View().Content); !strings.Contains(view, a.wait) {
				t.Fatalf("step %d: %q is not on the screen:\n%s", i, a.wait, view)
			}
		case a.typ != "":
			d.typ(a.typ)
		default:
			d.keys(a.keys...)
		}
	}
}

// TestFlowInstall goes past the confirmation: the plan runs through a recording runner and
// the done screen saves the answers.
func TestFlowInstall(t *testing.T) {
	fl := flows()[0]
	dir := t.TempDir()
	rec := &recorder{}
	var req InstallRequest
	o := testOptions(t, fl.machine)
	o.Install = fakeInstall(dir, rec, &req)
	m := newApp(t.Context(), o)
	tm := newTermModel(t, newSettler(m), 80, 24)
	save := dir + "/saved.yaml"
	play(t, tm, append(fl.script,
		wait("installed"), press("s"), act{keys: []string{"ctrl+u"}}, typed(save), press("enter"),
		wait("Saved"), press("q")))
	final := tm.FinalModel(t).(*app)
	if final.err != nil {
		t.Fatalf("Run error = %v", final.err)
	}
	compareAnswers(t, final.st.a, wantAnswers(t, fl))
	if !reflect.DeepEqual(req.Confirmed, fl.disks) {
		t.Errorf("Install got Confirmed %q, want %q", req.Confirmed, fl.disks)
	}
	if req.Answers.Reboot() {
		t.Error("Install got answers that reboot by themselves; the done screen offers the reboot")
	}
	if len(rec.argv) == 0 || rec.argv[0][0] != "disko" {
		t.Errorf("recorded commands %q, want disko first", rec.argv)
	}
	saved, err := installer.Load(save, installer.Defaults(&o.Report))
	if err != nil {
		t.Fatalf("saved answers: %v", err)
	}
	got, _ := saved.Marshal()
	wa := wantAnswers(t, fl)
	wa.Install.Wipe = true // the disks were confirmed: the file installs the same again
	want, _ := wa.Marshal()
	if !bytes.Equal(got, want) {
		t.Errorf("saved answers:\n%s\nwant:\n%s", got, want)
	}
}

// TestFlowDryRun installs as a dry run: the progress screen stays up with every step done
// until Enter, and the answers are saved under --out by default.
func TestFlowDryRun(t *testing.T) {
	fl := flows()[0]
	dir := t.TempDir()
	rec := &recorder{}
	var req InstallRequest
	o := testOptions(t, fl.machine)
	o.DryRun, o.Out, o.Root = true, dir, dir
	o.Install = fakeInstall(dir, rec, &req)
	m := newApp(t.Context(), o)
	tm := newTermModel(t, newSettler(m), 80, 24)
	play(t, tm, append(fl.script,
		wait("Every step ran"), press("enter"),
		wait("no disk was touched"), press("s", "enter"),
		wait("Saved"), press("q")))
	final := tm.FinalModel(t).(*app)
	if final.err != nil {
		t.Fatalf("Run error = %v", final.err)
	}
	saved, err := installer.Load(filepath.Join(dir, "answers.yaml"), installer.Defaults(&o.Report))
	if err != nil {
		t.Fatalf("answers saved under --out: %v", err)
	}
	if !saved.Install.Wipe {
		t.Error("the saved answers lack install.wipe")
	}
}
