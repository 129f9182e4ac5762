package installer

import (
	"fmt"
	"strings"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// Resolved is answers met with one machine: everything that depends on the hardware,
// decided once. The summary, the review screen, the install's hooks, the plan and
// xennix-setup read it; none of them goes back to the answers and the report to decide a
// disk, a loader or dom0's size again, so that no two of them can decide differently.
type Resolved struct {
	// Answers are the answers as given, validated.
	Answers Answers
	// Machine is false when the answers were checked without a machine (`xennix validate`
	// without --hardware): the disks are then unknown and "auto" is resolved as on an
	// unknown machine (UEFI, 2 GiB for dom0).
	Machine bool
	// Disks are the target disks, in layout order (none without a machine).
	Disks    []hwdetect.Disk
	Firmware Firmware
	Loader   Loader
	// Layout is disko's input, and Implied what the layout asks of the host configuration.
	Layout  disko.Layout
	Implied disko.Implied
	// Network is netsetup's input, with the uplink chosen when the answers name none.
	Network    netsetup.Config
	Dom0Memory Size
	Dom0VCPUs  int
	// Record is the answers as the host keeps them (xennix/answers.yaml and the applied
	// record): the disks by the ids installed on rather than the filter that found them, the
	// uplink chosen for "the first NIC with link", and dom0's sizes as chosen from this
	// machine's size, so that xennix-setup derives the same settings later and adding memory
	// does not change them behind the operator's back. Password hashes are still in it;
	// Render writes them to their own files.
	Record Answers
}

// Resolve validates the answers against the machine (r nil: the form alone) and resolves
// everything that depends on it.
func Resolve(a Answers, r *hwdetect.Report) (Resolved, error) {
	return resolveOn(a, r, r)
}

// resolveOn validates a against check and resolves it on machine. They are one for an
// install, whose validation has decided the disks and the network already; they differ for
// xennix-setup, whose installed disks are in use and stand in the machine as recorded.
func resolveOn(a Answers, check, machine *hwdetect.Report) (Resolved, error) {
	v := &validator{a: a, r: check}
	if err := v.validate(); err != nil {
		return Resolved{}, err
	}
	on := v
	if machine != check {
		on = &validator{a: a, r: machine}
	}
	h := Resolved{Answers: a, Machine: machine != nil}
	if machine != nil {
		disks, err := on.targetDisks()
		if err != nil {
			return Resolved{}, err
		}
		h.Disks = disks
	}
	h.Firmware, h.Loader = a.firmware(machine), a.loader(machine)
	layout, err := a.diskoLayout(h.Disks, machine)
	if err != nil {
		return Resolved{}, err
	}
	h.Layout, h.Implied = layout, layout.Implied()
	if h.Network, err = on.netOnMachine(); err != nil {
		return Resolved{}, err
	}
	h.Dom0Memory, h.Dom0VCPUs = a.dom0Memory(machine), a.dom0VCPUs(machine)
	h.Record = h.record()
	return h, nil
}

// onMachine is what the answers resolve to on a validator's machine that is worth deciding
// once: the disks chosen and the network with its uplinks found.
type onMachine struct {
	disksDone, netDone bool
	disks              []hwdetect.Disk
	disksErr           error
	net                netsetup.Config
	netErr             error
}

// targetDisks are the disks the answers select on the validator's machine (not nil).
func (v *validator) targetDisks() ([]hwdetect.Disk, error) {
	if !v.on.disksDone {
		v.on.disks, v.on.disksErr = v.a.selectDisks(*v.r)
		v.on.disksDone = true
	}
	return v.on.disks, v.on.disksErr
}

// netOnMachine is the network the answers convert to on the validator's machine (nil: none).
func (v *validator) netOnMachine() (netsetup.Config, error) {
	if !v.on.netDone {
		v.on.net, v.on.netErr = v.a.netConfig(v.r)
		v.on.netDone = true
	}
	return v.on.net, v.on.netErr
}

// record is the answers as the host keeps them (Resolved.Record).
func (h Resolved) record() Answers {
	rec := h.Answers
	if h.Machine {
		if len(rec.Disks.IDs) == 0 {
			// Ids given stay as given: the applied record and answers.yaml are compared
			// with each other, and a disk has more than one by-id name.
			rec.Disks = Disks{}
			for _, d := range h.Layout.Disks {
				rec.Disks.IDs = append(rec.Disks.IDs, d.ID)
			}
		}
		if len(rec.Network.Uplinks) == 0 && rec.Network.Bond == nil && len(h.Network.Uplinks) > 0 {
			rec.Network.Uplinks = []string{h.Network.Uplinks[0].Name}
		}
		rec.Xen.Dom0Memory = h.Dom0Memory
		rec.Xen.Dom0VCPUs = h.Dom0VCPUs
	}
	// The flake directory, answers.yaml with it, goes into the world-readable store: the
	// webhook's credentials would reach it. The webhook is the installer's; xennix-setup
	// never calls it.
	if rec.Install.Webhook != "" && len(rec.Secrets()) > 1 {
		rec.Install.Webhook = ""
	}
	return rec
}

// Summary is one line saying what is installed: host, storage on which disks, boot,
// network, dom0 resources. `xennix validate` prints it, the plan and the review show it.
func (h Resolved) Summary() string {
	a := h.Answers
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", a.Host.Hostname, a.Storage.Preset)
	if a.Storage.Mirror {
		b.WriteString(" mirror")
	}
	if a.Storage.Encryption.Enabled {
		b.WriteString(" encrypted")
	}
	if a.impermanent() {
		fmt.Fprintf(&b, " with %s impermanence", a.Impermanence.Preset)
	}
	b.WriteString(" on ")
	var disks []string
	for _, d := range h.Disks {
		disks = append(disks, fmt.Sprintf("%s (%s)", d.Name, Size(d.SizeBytes).Human()))
	}
	switch {
	case len(disks) > 0:
		b.WriteString(strings.Join(disks, " + "))
	case len(a.Disks.IDs) > 0:
		b.WriteString(strings.Join(a.Disks.IDs, " + "))
	default:
		fmt.Fprintf(&b, "%d disk(s) chosen by filter", a.DiskCount())
	}
	fw := string(h.Firmware)
	if !h.Machine && (a.Boot.Firmware == "" || a.Boot.Firmware == FirmwareAuto) {
		fw = "firmware as detected"
	}
	fmt.Fprintf(&b, "; boot %s/%s", fw, h.Loader)
	n := a.Network
	ports := strings.Join(n.Uplinks, "+")
	if n.Bond != nil {
		ports = fmt.Sprintf("bond %s of %s", n.Bond.Mode, strings.Join(n.Bond.Members, "+"))
	}
	if ports == "" {
		ports = "first NIC with link"
	}
	fmt.Fprintf(&b, "; bridge %s over %s", n.Bridge, ports)
	if n.VLAN != 0 {
		fmt.Fprintf(&b, ", vlan %d", n.VLAN)
	}
	if n.IPv4.Mode == IPv4Static {
		fmt.Fprintf(&b, ", %s", n.IPv4.Address)
	} else {
		fmt.Fprintf(&b, ", ipv4 %s", n.IPv4.Mode)
	}
	mem := "auto"
	if a.Xen.Dom0Memory != 0 || h.Machine {
		mem = h.Dom0Memory.String()
	}
	fmt.Fprintf(&b, "; dom0 %s", mem)
	if h.Dom0VCPUs > 0 {
		fmt.Fprintf(&b, ", %d vCPUs", h.Dom0VCPUs)
	}
	if len(a.Xen.Passthrough) > 0 {
		fmt.Fprintf(&b, ", %d PCI device(s) for passthrough", len(a.Xen.Passthrough))
	}
	return b.String()
}

// The rules Resolve applies, for screens and checks that hold answers which are not (yet)
// valid as a whole: the same functions, so that a form's default and the install agree.

// TargetDisks is the disks section matched on the machine: the disks the answers would
// install on (the disks screen marks them).
func TargetDisks(a Answers, r hwdetect.Report) ([]hwdetect.Disk, error) { return a.selectDisks(r) }

// Dom0Sizes is what dom0 gets from the xen section on the machine (r nil: unknown).
func Dom0Sizes(x Xen, r *hwdetect.Report) (Size, int) {
	a := Answers{Xen: x}
	return a.dom0Memory(r), a.dom0VCPUs(r)
}

// BootOn is the firmware and loader the boot section gives on the machine (r nil: unknown).
func BootOn(b Boot, r *hwdetect.Report) (Firmware, Loader) {
	a := Answers{Boot: b}
	return a.firmware(r), a.loader(r)
}
