package tui

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xennix/xennix/installer"
)

// responder answers plain prompts as an operator who only presses Enter would: it reads
// what was printed last. The setup menu gets the next of menu's answers, a multi-select
// 0 (keep the picks), anything else an empty line (keep the value).
type responder struct {
	mu   sync.Mutex
	out  bytes.Buffer
	menu []string
}

var (
	menuPromptRE  = regexp.MustCompile(`Enter a number between 1 and 7: $`)
	picksPromptRE = regexp.MustCompile(`Enter a number between 0 and [0-9]+: $`)
)

func (r *responder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

func (r *responder) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tail := r.out.String()
	if i := strings.LastIndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	line := "\n"
	switch {
	case menuPromptRE.MatchString(tail):
		if len(r.menu) == 0 {
			return 0, context.Canceled
		}
		line, r.menu = r.menu[0]+"\n", r.menu[1:]
	case picksPromptRE.MatchString(tail):
		line = "0\n"
	}
	r.out.WriteString(line) // the answer as a terminal would echo it
	return copy(p, line), nil
}

// TestSetupPlainShowsValues walks every section of xennix-setup --accessible pressing
// Enter only: each text prompt with a value says what it is now and that Enter keeps it,
// each select which option it holds, each multi-select its picks; and nothing changes.
func TestSetupPlainShowsValues(t *testing.T) {
	r, start := setupFixture(t)
	rs := &responder{menu: []string{"1", "2", "3", "4", "7"}}
	o := SetupOptions{Report: r, Answers: start, Accessible: true, Input: rs, Output: rs, Diff: fakeDiff(start, &r),
		Apply: func(context.Context, installer.Answers) (string, error) {
			t.Error("Apply called")
			return "", nil
		}}
	a, err := RunSetup(t.Context(), o)
	out := rs.out.String()
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("RunSetup = %v, want a quit; output:\n%s", err, out)
	}
	for _, want := range []string{
		// Network
		"Uplink of the bridge (now 6. bond, Enter keeps it)",
		"Bridge name (Guests' interfaces join it; default xenbr0; now xenbr0, Enter keeps it)",
		"Bond members (now ",
		"IPv4 address of the host (now 2. static, Enter keeps it)",
		"Management VLAN (The VLAN id of the host's address (1-4094); empty for untagged; now ",
		"Address/prefix (e.g. 192.0.2.10/24; now ",
		", Enter keeps it, - empties it)",
		// Xen
		"dom0 memory (Default ",
		"; now 8GiB, Enter keeps it)",
		"dom0 vCPUs (Default ",
		"PCI devices to reserve for guests (now ",
		// Host and users
		"Host name (One label: letters, digits and hyphens; now rack-07, Enter keeps it)",
		"Time zone (An IANA name such as UTC or Europe/Berlin; now ",
		"Console keymap (e.g. us, de-latin1, fr; now ",
		"Root's SSH public keys (One key (ssh-ed25519 AAAA... comment), or empty; now ssh-ed25519 ",
		"Root login over SSH (now ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, s := range []string{"== Network ==", "== Xen ==", "== Impermanence ==", "== Host and users =="} {
		if !strings.Contains(out, s) {
			t.Errorf("section %s not asked:\n%s", s, out)
		}
	}
	if !reflect.DeepEqual(a.Xen, start.Xen) || !reflect.DeepEqual(a.Host, start.Host) || !reflect.DeepEqual(a.Network, start.Network) {
		t.Errorf("Enter only changed the answers:\n got %+v\nwant %+v", a, start)
	}
}

// TestSetupPlainClears: at a plain prompt an empty line keeps an optional field and "-"
// empties it (the serial console, set, then shown and emptied).
func TestSetupPlainClears(t *testing.T) {
	r, start := setupFixture(t)
	lines := []string{
		"2", "", "", "ttyS0,115200", "0", // Xen: memory and vCPUs kept, a serial console
		"2", "", "", "-", "0", // Xen again: the serial console emptied
		"2", "", "", "", "0", // and again: empty stays empty
		"7",
	}
	var out bytes.Buffer
	o := SetupOptions{Report: r, Answers: start, Accessible: true, Diff: fakeDiff(start, &r),
		Input: strings.NewReader(strings.Join(lines, "\n") + "\n"), Output: &out}
	a, err := RunSetup(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("RunSetup = %v, want a quit; output:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Serial console (Xen's and the kernel's console on a serial line or IPMI SOL, e.g. ttyS0,115200; empty for the screen only; now ttyS0,115200, Enter keeps it, - empties it)") {
		t.Errorf("the serial console's value is not shown:\n%s", out.String())
	}
	if a.Boot.SerialConsole != "" {
		t.Errorf("serial console %q after -, want empty", a.Boot.SerialConsole)
	}
}
