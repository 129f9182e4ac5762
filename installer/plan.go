package installer

import (
	"github.com/xennix/xennix/hwdetect"
)

// Plan is an install as plain data: the disks it will erase and the ordered steps (files to
// write and commands to run). NewPlan makes it without touching anything; --dry-run prints
// it, the review screen shows it, and Execute carries it out.
type Plan struct {
	Hostname string
	// Disks are the target disks, in layout order.
	Disks []hwdetect.Disk
	Steps []Step
	// Notes are things the operator should know about this plan (unlocked inputs, …).
	Notes []string
}

// Destroys lists every disk (by-id path) the plan erases.
func (p Plan) Destroys() []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Destroys...)
	}
	return out
}
