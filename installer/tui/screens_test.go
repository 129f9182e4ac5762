package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/installer"
)

// plainView is the screen as text, colours and attributes off.
func plainView(m *app) string { return ansi.Strip(m.render()) + "\n" }

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("View(%s) =\n%s\nwant (%s):\n%s", name, got, path, want)
	}
}

// TestViewGoldens renders every screen at 80x24 with colours off, on the way through the
// three flows: the first view of each screen (and of each later page) is a golden.
func TestViewGoldens(t *testing.T) {
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			d := newDriver(t, testOptions(t, fl.machine))
			n := 0
			for _, a := range fl.script {
				switch {
				case a.wait != "":
					n++
					v := plainView(d.m)
					if again := plainView(d.m); again != v {
						t.Fatalf("rendering twice differs:\n%s\n%s", v, again)
					}
					checkLines(t, v, 80, 24)
					checkGolden(t, fmt.Sprintf("%s/%02d-%s", fl.name, n, strings.ToLower(strings.ReplaceAll(screenTitles[d.screen()], " ", "-"))), v)
				case a.typ != "":
					d.typ(a.typ)
				default:
					d.keys(a.keys...)
				}
			}
		})
	}
}

// checkLines checks a view is exactly h lines of at most w cells.
func checkLines(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, ansi.StringWidth(l), w, l)
		}
	}
}

// toScreen makes screen id active, as the root model does.
func toScreen(d *driver, id screenID) {
	for i, s := range d.m.order {
		if s == id {
			d.m.cur = i
		}
	}
}

// TestProgressAndDoneGoldens renders the install screens: running, failed, and done.
func TestProgressAndDoneGoldens(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	d := newDriver(t, o)
	a := d.m.st.a
	a.Host.Hostname = "xen-01"
	a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4"}
	a.Users.Root.SSHKeys = []string{testKey}
	d.m.st.a = a
	plan, err := o.Plan(planned(a))
	if err != nil {
		t.Fatal(err)
	}
	d.m.st.plan = plan
	p := d.m.screens[scrProgress].(*progress)
	p.started = true
	for i, s := range plan.Steps {
		row := stepRow{title: s.Title}
		switch {
		case i < 3:
			row.state, row.dur = stepDone, time.Duration(i+1)*1500*time.Millisecond
		case i == 3:
			row.state = stepRunning
		}
		p.rows = append(p.rows, row)
	}
	p.log = []string{"== Partition, format and mount nvme0n1", "$ disko --mode destroy,format,mount --yes-wipe-all-disks /tmp/xennix/disko.nix", "Creating filesystem with 243924480 4k blocks"}
	toScreen(d, scrProgress)
	checkGolden(t, "progress-running", plainView(d.m))
	d.keys("l")
	checkGolden(t, "progress-log", plainView(d.m))
	d.keys("l")

	p.rows[3].state, p.rows[3].dur = stepFailed, 2*time.Second
	p.err = &installer.StepError{Step: "partition", Err: errors.New("disko: exit status 1")}
	p.finished = true
	p.logLines([]string{"Error: device /dev/nvme0n1 is busy"})
	checkGolden(t, "progress-failed", plainView(d.m))
	d.keys("s")
	checkGolden(t, "progress-failed-hint", plainView(d.m))

	d.m.st.result = InstallResult{Verification: fakeVerification("org.xenproject.bootspec.v2"), LogPath: "/tmp/xennix/install.log"}
	toScreen(d, scrDone)
	checkGolden(t, "done", plainView(d.m))
}

// TestResize draws a screen at 80x24, at 120x40, and at 80x24 again: the first and last
// are the same, and each fills exactly the terminal.
func TestResize(t *testing.T) {
	fl := flows()[0]
	d := newDriver(t, testOptions(t, fl.machine))
	// Up to the review.
	drive(t, d, untilReview(fl.script))
	for _, id := range []screenID{scrReview} {
		d.expect(id)
		before := plainView(d.m)
		d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
		checkLines(t, plainView(d.m), 120, 40)
		d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
		if after := plainView(d.m); after != before {
			t.Errorf("after a resize to 120x40 and back the view is\n%s\nwant\n%s", after, before)
		}
	}
	// And on a form.
	d.keys("esc")
	d.expect(scrHost)
	before := plainView(d.m)
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	checkLines(t, plainView(d.m), 120, 40)
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if after := plainView(d.m); after != before {
		t.Errorf("form after a resize and back:\n%s\nwant\n%s", after, before)
	}
}

// TestBackKeepsAnswers goes back from the review to the network, changes DHCP to a static
// address, and comes back: everything but network.ipv4 is as it was.
func TestBackKeepsAnswers(t *testing.T) {
	fl := flows()[0]
	d := newDriver(t, testOptions(t, fl.machine))
	drive(t, d, untilReview(fl.script))
	d.expect(scrReview)
	before := d.m.st.a
	d.keys("esc")
	d.expect(scrHost)
	d.keys("esc")
	d.expect(scrXen)
	d.keys("esc")
	d.expect(scrNetwork)
	d.keys("enter", "enter")                  // uplink: auto, bridge xenbr0
	d.keys("down", "enter", "enter", "enter") // static, no VLAN, MTU 1500
	d.typ("192.0.2.10/24")
	d.keys("enter")
	d.typ("192.0.2.1")
	d.keys("enter", "enter")
	d.keys("enter", "enter", "enter") // IPv6 auto, no search domains, no NTP servers
	d.expect(scrXen)
	d.keys("enter", "enter", "enter", "enter")
	d.expect(scrHost)
	for range 16 { // host, time and keyboard, root, admin, SSH
		d.keys("enter")
	}
	d.expect(scrReview)
	after := d.m.st.a
	if after.Network.IPv4.Mode != installer.IPv4Static || after.Network.IPv4.Address.String() != "192.0.2.10/24" {
		t.Errorf("network.ipv4 = %+v, want static 192.0.2.10/24", after.Network.IPv4)
	}
	after.Network.IPv4 = before.Network.IPv4
	compareAnswers(t, after, before)
	if !reflect.DeepEqual(d.m.st.a.Disks, before.Disks) {
		t.Errorf("disks changed")
	}
}

// TestCtrlCAsks checks ctrl+c asks first, n keeps going and y quits with ErrQuit.
func TestCtrlCAsks(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("ctrl+c")
	if !strings.Contains(plainView(d.m), "Quit the installer?") {
		t.Fatalf("ctrl+c did not ask:\n%s", plainView(d.m))
	}
	d.keys("n")
	if d.quit || d.m.asking {
		t.Fatal("n did not cancel the question")
	}
	d.keys("ctrl+c", "y")
	if !d.quit || !errors.Is(d.m.err, ErrQuit) {
		t.Fatalf("y: quit %v, err %v; want quit with ErrQuit", d.quit, d.m.err)
	}
}

// TestInstallerMediumCannotBePicked checks the medium is listed, disabled, with why.
func TestInstallerMediumCannotBePicked(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter")
	d.expect(scrDisks)
	d.keys("down", "space")
	v := plainView(d.m)
	if !strings.Contains(v, "sdz cannot be picked: it is the installer medium") {
		t.Errorf("picking the medium does not say why:\n%s", v)
	}
	if got := d.m.screens[scrDisks].(*disks).picked; len(got) != 0 {
		t.Errorf("picked = %v, want none (nvme0n1 holds data: never picked for the operator)", got)
	}
}

// untilReview is a flow's script up to the review screen's first view.
func untilReview(script []act) []act {
	for i, a := range script {
		if a.wait == "Commands" {
			return script[:i+1]
		}
	}
	return script
}
