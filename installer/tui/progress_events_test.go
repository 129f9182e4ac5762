package tui

import (
	"slices"
	"testing"

	"github.com/xennix/xennix/installer"
)

// TestProgressStepReports: what a step's action reports reaches the log pane as lines under
// its step: its notes, and the typed verification as Verification.String draws it.
func TestProgressStepReports(t *testing.T) {
	p := &progress{rows: make([]stepRow, 2)}
	v := fakeVerification("org.xenproject.bootspec.v2")
	for _, e := range []installer.Event{
		{Kind: installer.StepStarted, Index: 1, Total: 2, Title: "Check the new system will boot Xen"},
		{Kind: installer.StepNote, Index: 1, Total: 2, Line: "warning: 2GiB of memory"},
		{Kind: installer.StepVerified, Index: 1, Total: 2, Verification: v},
		{Kind: installer.StepDone, Index: 1, Total: 2},
	} {
		p.event(e)
	}
	want := []string{
		"== Check the new system will boot Xen",
		"warning: 2GiB of memory",
		"ok   xen bootspec           org.xenproject.bootspec.v2",
		"verdict: the system installed in /mnt will boot Xen",
	}
	if !slices.Equal(p.log, want) {
		t.Errorf("log = %q, want %q", p.log, want)
	}
	if p.rows[1].state != stepDone {
		t.Errorf("row state %d, want done", p.rows[1].state)
	}
}
