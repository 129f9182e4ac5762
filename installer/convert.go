package installer

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// diskoLayout converts the storage answers and the selected disks into disko's input. A
// word with no disko counterpart is an error naming its field: only Go code can make one (the
// file and the TUI take the listed words only), and it is passed on as written, which disko
// refuses.
func (a Answers) diskoLayout(disks []hwdetect.Disk, r *hwdetect.Report) (disko.Layout, error) {
	preset, perr := diskoPreset(a.Storage.Preset)
	fw, ferr := diskoFirmware(a.firmware(r))
	loader, lerr := diskoLoader(a.loader(r))
	guest, gerr := diskoGuestKind(a.GuestKind())
	imp, ierr := diskoImpermanence(a.Impermanence.Preset)
	err := errors.Join(perr, ferr, lerr, gerr, ierr)
	l := disko.Layout{
		Firmware:     fw,
		Loader:       loader,
		Preset:       preset,
		Mirror:       a.Storage.Mirror,
		Encryption:   disko.Encryption{Enabled: a.Storage.Encryption.Enabled, PassphraseFile: a.Storage.Encryption.PassphraseFile},
		SwapBytes:    uint64(a.Storage.Swap),
		ESPBytes:     uint64(a.Storage.ESPSize),
		RootBytes:    uint64(a.Storage.RootSize),
		Guest:        disko.Guest{Kind: guest, Path: a.Storage.Guests.Path, SizeBytes: uint64(a.Storage.Guests.Size)},
		Impermanence: imp,
	}
	if a.Storage.TmpfsSize != 0 {
		l.TmpfsSize = fmt.Sprintf("%dM", uint64(a.Storage.TmpfsSize)/uint64(MiB))
	}
	for _, d := range disks {
		id, ok := d.StableID()
		if !ok {
			// Which disko refuses: a kernel name may be another disk when disko runs.
			id = "/dev/" + d.Name
		}
		l.Disks = append(l.Disks, disko.Disk{ID: id, SizeBytes: d.SizeBytes})
	}
	// HostID stays empty: disko derives it from the first disk's by-id path, which the host
	// keeps in its saved answers, so xennix-setup computes the same ZFS hostId again.
	return l, err
}

// diskoPreset converts storage.preset. The switch has a case for every word of presets
// (TestEnumsConvert); empty is ext4, the answers' default.
func diskoPreset(p Preset) (disko.Preset, error) {
	switch p {
	case PresetExt4, "":
		return disko.PresetExt4, nil
	case PresetLVM:
		return disko.PresetLVM, nil
	case PresetBtrfs:
		return disko.PresetBtrfs, nil
	case PresetZFS:
		return disko.PresetZFS, nil
	case PresetTmpfsRoot:
		return disko.PresetTmpfsRoot, nil
	}
	return disko.Preset(p), &wordError{"storage.preset", string(p)}
}

// diskoFirmware converts a resolved boot.firmware (never auto).
func diskoFirmware(f Firmware) (disko.Firmware, error) {
	switch f {
	case FirmwareUEFI:
		return disko.FirmwareUEFI, nil
	case FirmwareBIOS:
		return disko.FirmwareBIOS, nil
	}
	return disko.Firmware(f), &wordError{"boot.firmware", string(f)}
}

// diskoLoader converts a resolved boot.loader (never auto).
func diskoLoader(l Loader) (disko.Loader, error) {
	switch l {
	case LoaderSystemdBoot:
		return disko.LoaderSystemdBoot, nil
	case LoaderLimine:
		return disko.LoaderLimine, nil
	}
	return disko.Loader(l), &wordError{"boot.loader", string(l)}
}

// diskoGuestKind converts a resolved storage.guests.kind (GuestKind).
func diskoGuestKind(k GuestKind) (disko.GuestKind, error) {
	switch k {
	case GuestNone:
		return disko.GuestNone, nil
	case GuestThinPool:
		return disko.GuestThinPool, nil
	case GuestZvol:
		return disko.GuestZvol, nil
	case GuestDirectory:
		return disko.GuestDirectory, nil
	}
	return disko.GuestKind(k), &wordError{"storage.guests.kind", string(k)}
}

// diskoImpermanence converts impermanence.preset; empty is none, the answers' default.
func diskoImpermanence(p ImpermanencePreset) (string, error) {
	switch p {
	case ImpermanenceNone, "":
		return disko.ImpermanenceNone, nil
	case ImpermanenceTmpfs:
		return disko.ImpermanenceTmpfs, nil
	case ImpermanenceBtrfs:
		return disko.ImpermanenceBtrfs, nil
	case ImpermanenceZFS:
		return disko.ImpermanenceZFS, nil
	}
	return string(p), &wordError{"impermanence.preset", string(p)}
}

// wordError is an answers word without a counterpart in a leaf package.
type wordError struct{ field, word string }

func (e *wordError) Error() string { return e.field + ": " + e.msg() }

func (e *wordError) msg() string {
	return fmt.Sprintf("%q has no counterpart in this version of xennix", e.word)
}

// netConfig converts the network answers into netsetup's input, resolving uplinks given by
// name or MAC against the report so the bridge can take the uplink's MAC. With no uplink and
// no bond, the first physical NIC with carrier (else the first physical NIC) is the uplink.
// A word with no netsetup counterpart is an error naming its field (see diskoLayout).
func (a Answers) netConfig(r *hwdetect.Report) (netsetup.Config, error) {
	n := a.Network
	c := netsetup.Config{
		Bridge:   n.Bridge,
		VLAN:     n.VLAN,
		MTU:      n.MTU,
		IPv4:     netsetup.IPv4{Mode: string(n.IPv4.Mode), Address: n.IPv4.Address, Gateway: n.IPv4.Gateway},
		IPv6:     netsetup.IPv6{Mode: string(n.IPv6.Mode), Address: n.IPv6.Address, Gateway: n.IPv6.Gateway},
		DNS:      n.DNS,
		Search:   n.Search,
		NTP:      n.NTP,
		PinNames: n.PinNames,
	}
	uplink := func(s string) netsetup.Uplink {
		if mac, err := net.ParseMAC(s); err == nil {
			u := netsetup.Uplink{MAC: mac}
			if r != nil {
				if nic, ok := r.NICByMAC(s); ok {
					u.Name = nic.Name
				}
			}
			return u
		}
		u := netsetup.Uplink{Name: s}
		if r != nil {
			if nic, ok := r.NIC(s); ok {
				u.MAC = nicMAC(nic)
			}
		}
		return u
	}
	// Uplinks and a bond are both passed on, for netsetup to refuse the two together.
	for _, u := range n.Uplinks {
		c.Uplinks = append(c.Uplinks, uplink(u))
	}
	var errs []error
	if n.Bond != nil {
		mode, err := netBondMode(n.Bond.Mode)
		errs = append(errs, err)
		rate, err := netLACPRate(n.Bond.LACPRate)
		errs = append(errs, err)
		b := &netsetup.Bond{Name: n.Bond.Name, Mode: mode, MIIMonMs: n.Bond.MIIMon, LACPRate: rate}
		for _, m := range n.Bond.Members {
			b.Members = append(b.Members, uplink(m))
		}
		c.Bond = b
	} else if len(c.Uplinks) == 0 && r != nil {
		if nic, ok := defaultUplink(*r); ok {
			c.Uplinks = []netsetup.Uplink{{Name: nic.Name, MAC: nicMAC(nic)}}
		}
	}
	return c, errors.Join(errs...)
}

// netBondMode converts network.bond.mode; a case for every word of bondModes
// (TestEnumsConvert). Empty leaves netsetup's default.
func netBondMode(m BondMode) (netsetup.BondMode, error) {
	switch m {
	case "":
		return "", nil
	case "active-backup":
		return netsetup.BondActiveBackup, nil
	case "802.3ad":
		return netsetup.Bond8023AD, nil
	case "balance-alb":
		return netsetup.BondBalanceALB, nil
	case "balance-tlb":
		return netsetup.BondBalanceTLB, nil
	case "balance-rr":
		return netsetup.BondBalanceRR, nil
	case "balance-xor":
		return netsetup.BondBalanceXOR, nil
	case "broadcast":
		return netsetup.BondBroadcast, nil
	}
	return netsetup.BondMode(m), &wordError{"network.bond.mode", string(m)}
}

// netLACPRate converts network.bond.lacp_rate; a case for every word of lacpRates
// (TestEnumsConvert). Empty leaves the kernel's default.
func netLACPRate(r LACPRate) (netsetup.LACPRate, error) {
	switch r {
	case "":
		return "", nil
	case "slow":
		return netsetup.LACPSlow, nil
	case "fast":
		return netsetup.LACPFast, nil
	}
	return netsetup.LACPRate(r), &wordError{"network.bond.lacp_rate", string(r)}
}

func nicMAC(n hwdetect.NIC) net.HardwareAddr {
	s := n.PermanentMAC
	if s == "" {
		s = n.MAC
	}
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil
	}
	return mac
}

// defaultUplink is the NIC the bridge takes when the answers name none: the first physical,
// wired NIC with carrier, else the first physical wired NIC.
func defaultUplink(r hwdetect.Report) (hwdetect.NIC, bool) {
	var first *hwdetect.NIC
	for i, n := range r.NICs {
		if n.Virtual || n.Wireless {
			continue
		}
		if n.Carrier {
			return n, true
		}
		if first == nil {
			first = &r.NICs[i]
		}
	}
	if first != nil {
		return *first, true
	}
	return hwdetect.NIC{}, false
}

// netNICs converts the report's NICs for netsetup's ValidateFor.
func netNICs(r hwdetect.Report) []netsetup.NIC {
	var out []netsetup.NIC
	for _, n := range r.NICs {
		mac, _ := net.ParseMAC(n.MAC)
		perm, _ := net.ParseMAC(n.PermanentMAC)
		out = append(out, netsetup.NIC{Name: n.Name, MAC: mac, PermanentMAC: perm, Virtual: n.Virtual, Wireless: n.Wireless})
	}
	return out
}

// leaves runs disko's and netsetup's own checks on what the answers convert to, and places
// their problems at the answers' fields (leafFields): without the machine those that need
// none (ValidateForm), with it all of them. The answers' disk ids go to disko, so that their
// form is checked there, with the sizes of the disks found for them.
func (v *validator) leaves() {
	c, err := v.netOnMachine()
	switch {
	case err != nil:
		v.leafProblems(err) // checking a network that did not convert would say it twice
	case v.r == nil:
		v.leafProblems(c.ValidateForm())
	default:
		v.leafProblems(c.ValidateFor(netNICs(*v.r)))
	}

	var disks []hwdetect.Disk
	found := false
	if v.r != nil {
		// A selection that fails is reported by disks(); the layout is then checked
		// without sizes.
		disks, err = v.targetDisks()
		found = err == nil
	}
	l, err := v.a.diskoLayout(disks, v.r)
	if err != nil {
		v.leafProblems(err)
		return
	}
	if ids := v.a.Disks.IDs; len(ids) > 0 {
		l.Disks = make([]disko.Disk, len(ids))
		for i, id := range ids {
			l.Disks[i].ID = id
			if !found {
				continue
			}
			// A well-formed id becomes the stable id of the disk it names, so that two
			// links of one disk are one disk; any other stays as written for disko to
			// refuse (selectDisks also finds a disk by its kernel name).
			if sid, ok := disks[i].StableID(); ok && disko.IsDiskID(id) {
				l.Disks[i].ID = sid
			}
			l.Disks[i].SizeBytes = disks[i].SizeBytes
		}
	}
	if found {
		v.leafProblems(l.Validate())
	} else {
		v.leafProblems(l.ValidateForm())
	}
}

// splitErrors are the errors errors.Join made err of (err alone otherwise; none for nil).
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// leafProblems adds a leaf package's problems (or a conversion's) to these answers', each at
// the answers' field its leaf field maps to. A section still to ask (interactive) may be
// incomplete: what is missing there or does not fit yet is asked, not refused.
func (v *validator) leafProblems(err error) {
	for _, e := range splitErrors(err) {
		var de *disko.FieldError
		var ne *netsetup.FieldError
		var we *wordError
		switch {
		case errors.As(e, &de):
			field := v.answersField(de.Field)
			if v.asked(section(field)) && (errors.Is(de, disko.ErrMissing) || errors.Is(de, disko.ErrDoesNotFit)) {
				continue
			}
			v.bad(field, "%s", de.Msg)
		case errors.As(e, &ne):
			v.bad(v.answersField(ne.Field), "%s", ne.Msg)
		case errors.As(e, &we):
			v.bad(we.field, "%s", we.msg())
		default:
			v.bad("", "%v", e)
		}
	}
}

// section is the answers section a field belongs to: storage.guests.kind is in storage.
func section(field string) Section {
	s, _, _ := strings.Cut(field, ".")
	s, _, _ = strings.Cut(s, "[")
	return Section(s)
}

// leafFields maps the fields disko and netsetup name in their problems to the answers-file
// fields that set them: the one place where the two spellings meet. "[]" stands for a list
// index, which is carried over. A leaf field not listed is spelled as in the answers file
// (TestLeafFieldsAreAnswersFields checks both).
var leafFields = map[string]string{
	disko.FieldDisks:        "disks.ids",
	disko.FieldDisks + "[]": "disks.ids[]",
	// tmpfs-root's data filesystem follows from the preset; the ZFS host id from the first
	// disk.
	disko.FieldDataFS: "storage.preset",
	disko.FieldHostID: "storage",
	// The answers give a port as one string, its name or its MAC.
	"network.uplinks[].name":      "network.uplinks[]",
	"network.uplinks[].mac":       "network.uplinks[]",
	"network.bond.members[].name": "network.bond.members[]",
	"network.bond.members[].mac":  "network.bond.members[]",
	// The answers have no hash policy (the kernel's default is kept): the bond decides.
	"network.bond.hashPolicy": "network.bond",
}

// answersField is the answers' field for a leaf's field (leafFields). Disks chosen by a
// filter have no line each: their problems are the filter's.
func (v *validator) answersField(leaf string) string {
	key, index := leaf, ""
	if i := strings.IndexByte(leaf, '['); i >= 0 {
		if j := strings.IndexByte(leaf[i:], ']'); j >= 0 {
			key, index = leaf[:i]+"[]"+leaf[i+j+1:], leaf[i:i+j+1]
		}
	}
	f, ok := leafFields[key]
	if !ok {
		return leaf
	}
	f = strings.Replace(f, "[]", index, 1)
	if strings.HasPrefix(f, "disks.ids") && v.a.Disks.Filter != nil {
		return "disks.filter"
	}
	return f
}
