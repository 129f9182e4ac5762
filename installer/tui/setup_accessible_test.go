package tui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xennix/xennix/installer"
)

// TestSetupAccessible changes dom0's memory with xennix-setup's plain prompts: a value the
// field refuses is asked again at once, the review shows the diff, a "no" keeps the change
// for later, and a "yes" applies it.
func TestSetupAccessible(t *testing.T) {
	r, start := setupFixture(t)
	var applied []installer.Answers
	o := SetupOptions{Report: r, Answers: start, Diff: fakeDiff(start, &r), Accessible: true,
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			applied = append(applied, a)
			return "wrote /etc/nixos/xennix/settings.nix\n", nil
		}}
	input := strings.Join([]string{
		"2",            // Change: Xen
		"lots", "6GiB", // dom0 memory: refused, then given
		"", "", "0", // vCPUs, serial console, passthrough as they are
		"6", "n", // review, do not apply yet
		"6", "y", // review again, apply
	}, "\n") + "\n"
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(input), &out
	a, err := RunSetup(t.Context(), o)
	if err != nil {
		t.Fatalf("RunSetup = %v; output:\n%s", err, out.String())
	}
	if len(applied) != 1 || applied[0].Xen.Dom0Memory != 6*installer.GiB || a.Xen.Dom0Memory != 6*installer.GiB {
		t.Fatalf("applied %d times, dom0 memory %v; want once, 6GiB; output:\n%s", len(applied), a.Xen.Dom0Memory, out.String())
	}
	o2 := out.String()
	for _, want := range []string{"== Xen ==", "Not applied. The changes are kept here until you quit.", "+  dom0Memory = \"6GiB\";", "wrote /etc/nixos/xennix/settings.nix", "Applied."} {
		if !strings.Contains(o2, want) {
			t.Errorf("output lacks %q:\n%s", want, o2)
		}
	}
	if n := strings.Count(o2, "dom0 memory"); n < 2 {
		t.Errorf("dom0 memory asked %d times, want again after lots:\n%s", n, o2)
	}
	if strings.Contains(o2, "\x1b[") {
		t.Errorf("accessible output has escape sequences:\n%q", o2)
	}
}

// TestSetupAccessibleEnds: the input ending, or choosing to quit, returns ErrQuit and
// applies nothing.
func TestSetupAccessibleEnds(t *testing.T) {
	r, start := setupFixture(t)
	for _, input := range []string{"", "2\n6GiB\n", "7\n"} {
		applied := false
		o := SetupOptions{Report: r, Answers: start, Diff: fakeDiff(start, &r), Accessible: true,
			Apply: func(context.Context, installer.Answers) (string, error) { applied = true; return "", nil }}
		var out bytes.Buffer
		o.Input, o.Output = strings.NewReader(input), &out
		if _, err := RunSetup(t.Context(), o); !errors.Is(err, ErrQuit) || applied {
			t.Errorf("RunSetup(%q) = %v, applied %v; want ErrQuit, nothing applied; output:\n%s", input, err, applied, out.String())
		}
	}
}
