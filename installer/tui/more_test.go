package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/xennix/xennix/installer"
)

// TestAccessible completes flow (a) in the plain-prompt mode from scripted answers.
func TestAccessible(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	o.Accessible = true
	input := strings.Join([]string{
		"1",    // the one disk
		"", "", // storage: ext4, no encryption
		"", "", // swap 0, guests in a directory
		"",     // in /var/lib/xen/images
		"", "", // uplink: auto, bridge xenbr0
		"", "", "", // dhcp, no VLAN, MTU 1500
		"", "", "", // IPv6 auto, no search domains, no NTP servers
		"", "", "", // dom0 memory and vCPUs as proposed, no serial console
		"0",          // no passthrough
		"xen-01", "", // host name, no domain
		"", "", "", // time zone UTC, keymap us, locale en_US.UTF-8
		"", "", // no root password
		testKey, "", // root's key, no key file
		"", "", "", "", // no admin user
		"", "", "", // SSH on, root by key, no passwords
		"nvme0n1", // erase it
	}, "\n") + "\n"
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(input), &out
	a, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("Run = %v; output:\n%s", err, out.String())
	}
	compareAnswers(t, a, wantAnswers(t, flows()[0]))
	for _, want := range []string{"== Storage ==", "To erase nvme0n1", "Files that will be written:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("accessible output has escape sequences:\n%q", out.String())
	}
}

// TestScreensForPartialAnswers checks which screens a partial answers file leaves.
func TestScreensForPartialAnswers(t *testing.T) {
	r := fixture(t, "uefi-ext4-dhcp")
	all := screensFor(installer.Defaults(&r), &r)
	if len(all) != int(numScreens) {
		t.Errorf("screensFor(defaults) = %v, want all %d", all, numScreens)
	}
	partial := `version: 1
disks:
  filter: {type: nvme}
storage:
  preset: btrfs
network:
  uplinks: [eno1]
interactive: [network]
`
	a, err := installer.Parse("partial.yaml", []byte(partial), installer.Defaults(&r))
	if err != nil {
		t.Fatal(err)
	}
	got := screensFor(a, &r)
	want := []screenID{scrWelcome, scrImpermanence, scrNetwork, scrXen, scrHost, scrReview, scrProgress, scrDone}
	if !slices.Equal(got, want) {
		t.Errorf("screensFor(partial) = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		sec  installer.Section
		want bool
	}{{"disks", true}, {"storage", true}, {"network", true}, {"host", false}, {"users", false}, {"xen", false}} {
		if got := Answered(a, tc.sec, &r); got != tc.want {
			t.Errorf("Answered(%s) = %v, want %v", tc.sec, got, tc.want)
		}
	}
}

// TestTimezonesLoad checks every offered time zone is one Go (and the installer) accepts.
func TestTimezonesLoad(t *testing.T) {
	for _, z := range timezones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("LoadLocation(%q) = %v", z, err)
		}
	}
}

// TestStyles checks the ASCII markers on consoles without Unicode glyphs.
func TestStyles(t *testing.T) {
	for _, tc := range []struct {
		term  string
		ascii bool
	}{{"linux", true}, {"vt100", true}, {"dumb", true}, {"xterm-256color", false}, {"screen", false}} {
		s := NewStyles(func(k string) string {
			if k == "TERM" {
				return tc.term
			}
			return ""
		})
		if s.ASCII != tc.ascii {
			t.Errorf("NewStyles(TERM=%s).ASCII = %v, want %v", tc.term, s.ASCII, tc.ascii)
		}
		if tc.ascii && (s.Check != "ok" || s.BarFull != "#") {
			t.Errorf("NewStyles(TERM=%s) markers %q %q, want ASCII", tc.term, s.Check, s.BarFull)
		}
	}
}

// TestFirstFrame checks that a fresh model's first frame is the complete Welcome screen
// (its time is BenchmarkFirstFrame's).
func TestFirstFrame(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	m := newApp(t.Context(), o)
	m.Init()
	v := m.render()
	for _, want := range []string{"Welcome (1/", "Firmware", "Disks", "NICs", "quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("first frame lacks %q:\n%s", want, v)
		}
	}
}

// BenchmarkFirstFrame measures the time from a new model to its first complete frame.
func BenchmarkFirstFrame(b *testing.B) {
	o := testOptions(b, "uefi-ext4-dhcp")
	for b.Loop() {
		m := newApp(b.Context(), o)
		m.Init()
		_ = m.render()
	}
}

// syncBuffer is an output buffer that a running program writes while the test reads it.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	want  string
	found chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	s.check()
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await returns a channel closed once the output holds want: the test waits for what the
// program writes, not for a while.
func (s *syncBuffer) await(want string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want, s.found = want, make(chan struct{})
	found := s.found
	s.check()
	return found
}

// check closes found when the output holds want; s.mu is held.
func (s *syncBuffer) check() {
	if s.found != nil && strings.Contains(s.b.String(), s.want) {
		close(s.found)
		s.found = nil
	}
}

// TestAccessibleChecksTypedValue types a static address (checked against the value typed,
// not the one before) and a bad host name (refused where it is typed, then corrected).
func TestAccessibleChecksTypedValue(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	o.Accessible = true
	input := strings.Join([]string{
		"1", "", "", "", "", "", // disk, storage
		"", "", // uplink: auto, bridge
		"2", "", "", // static, no VLAN, MTU
		"10.20.30.40/24", // address
		"10.20.30.1",     // gateway
		"",               // no DNS
		"", "", "",       // IPv6 auto, no search domains, no NTP servers
		"", "", "", "0", // xen, no serial console
		"bad_name", "xen-01", // the first is refused
		"", "", "", "", "", "", testKey, "", "", "", "", "", "", "", "",
		"nvme0n1",
	}, "\n") + "\n"
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(input), &out
	a, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("Run = %v; output:\n%s", err, out.String())
	}
	if got := a.Network.IPv4.Address.String(); a.Network.IPv4.Mode != installer.IPv4Static || got != "10.20.30.40/24" {
		t.Errorf("network.ipv4 = %s %s, want static 10.20.30.40/24; output:\n%s", a.Network.IPv4.Mode, got, out.String())
	}
	if a.Host.Hostname != "xen-01" {
		t.Errorf("hostname = %q, want xen-01", a.Host.Hostname)
	}
	if strings.Contains(out.String(), "Please correct") {
		t.Errorf("a valid answer was refused after the fact:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "bad_name"); n != 1 {
		t.Errorf("bad_name is named %d times, want once (where it was typed):\n%s", n, out.String())
	}
}

// TestAccessibleInterrupt cancels the context (as SIGINT does) while a prompt waits for a
// line: Run returns ErrQuit at once, not after the next line.
func TestAccessibleInterrupt(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	o.Accessible = true
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &syncBuffer{}
	o.Input, o.Output = pr, out
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, err := Run(ctx, o); errc <- err }()
	select {
	case <-out.await("Disk to install on"):
	case err := <-errc:
		t.Fatalf("Run = %v before the first prompt; output:\n%s", err, out.String())
	case <-safetyNet(t):
		t.Fatalf("no prompt; output:\n%s", out.String())
	}
	cancel()
	// No line ever comes: Run returns only if the interrupt ends the prompt.
	select {
	case err := <-errc:
		if !errors.Is(err, ErrQuit) {
			t.Errorf("Run = %v, want ErrQuit", err)
		}
	case <-safetyNet(t):
		t.Fatal("Run did not return after the interrupt")
	}
}

// TestProgressTick fires the progress screen's tick by hand (TestMain stops it for every
// other test): each tick advances the running step's spinner and asks for the next one, 120
// ms later; a finished install asks for none.
func TestProgressTick(t *testing.T) {
	var asked []time.Duration
	defer func(old func(time.Duration, func(time.Time) tea.Msg) tea.Cmd) { tickAfter = old }(tickAfter)
	tickAfter = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		asked = append(asked, d)
		return func() tea.Msg { return fn(time.Time{}) }
	}
	m := newApp(t.Context(), testOptions(t, "uefi-ext4-dhcp"))
	p := m.screens[scrProgress].(*progress)
	p.rows = []stepRow{{title: "Partition, format and mount nvme0n1", state: stepRunning}}
	var frames []string
	var cmd tea.Cmd = func() tea.Msg { return tickMsg{} }
	for range 3 {
		frames = append(frames, p.rowView(p.rows[0]))
		msg := cmd()
		if _, ok := msg.(tickMsg); !ok {
			t.Fatalf("the tick's command returned %T, want tickMsg", msg)
		}
		_, cmd = p.Update(msg)
		if cmd == nil {
			t.Fatalf("after %d ticks the running install asks for no next tick", len(frames))
		}
	}
	if p.frame != 3 || frames[0] == frames[1] || frames[1] == frames[2] {
		t.Errorf("after 3 ticks frame = %d and the running row was drawn %q; want 3 and a new spinner glyph each time", p.frame, frames)
	}
	if want := []time.Duration{120 * time.Millisecond, 120 * time.Millisecond, 120 * time.Millisecond}; !slices.Equal(asked, want) {
		t.Errorf("ticks asked for %v, want %v", asked, want)
	}
	p.finished = true
	if _, cmd := p.Update(tickMsg{}); cmd != nil || p.frame != 3 {
		t.Errorf("a finished install's tick: frame %d, next tick %v; want frame 3 and none", p.frame, cmd != nil)
	}
}
