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

// DiskoLayout converts the storage answers and the selected disks into disko's input.
func (a Answers) DiskoLayout(disks []hwdetect.Disk, r *hwdetect.Report) disko.Layout {
	l := disko.Layout{
		Firmware:     disko.Firmware(a.Firmware(r)),
		Loader:       disko.Loader(a.Loader(r)),
		Preset:       disko.Preset(a.Storage.Preset),
		Mirror:       a.Storage.Mirror,
		Encryption:   disko.Encryption{Enabled: a.Storage.Encryption.Enabled, PassphraseFile: a.Storage.Encryption.PassphraseFile},
		SwapBytes:    uint64(a.Storage.Swap),
		ESPBytes:     uint64(a.Storage.ESPSize),
		RootBytes:    uint64(a.Storage.RootSize),
		Guest:        disko.Guest{Kind: disko.GuestKind(a.GuestKind()), Path: a.Storage.Guests.Path, SizeBytes: uint64(a.Storage.Guests.Size)},
		Impermanence: string(a.Impermanence.Preset),
	}
	if l.Impermanence == "" {
		l.Impermanence = disko.ImpermanenceNone
	}
	if a.Storage.TmpfsSize != 0 {
		l.TmpfsSize = fmt.Sprintf("%dM", uint64(a.Storage.TmpfsSize)/uint64(MiB))
	}
	for _, d := range disks {
		id := d.ByID
		if id == "" {
			id = "/dev/" + d.Name
		}
		l.Disks = append(l.Disks, disko.Disk{ID: id, SizeBytes: d.SizeBytes})
	}
	// HostID stays empty: disko derives it from the first disk's by-id path, which the host
	// keeps in its saved answers, so xennix-setup computes the same ZFS hostId again.
	return l
}

// NetConfig converts the network answers into netsetup's input, resolving uplinks given by
// name or MAC against the report so the bridge can take the uplink's MAC. With no uplink and
// no bond, the first physical NIC with carrier (else the first physical NIC) is the uplink.
func (a Answers) NetConfig(r *hwdetect.Report) netsetup.Config {
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
	if n.Bond != nil {
		b := &netsetup.Bond{Name: n.Bond.Name, Mode: netsetup.BondMode(n.Bond.Mode), MIIMonMs: n.Bond.MIIMon, LACPRate: netsetup.LACPRate(n.Bond.LACPRate)}
		for _, m := range n.Bond.Members {
			b.Members = append(b.Members, uplink(m))
		}
		c.Bond = b
	} else {
		for _, u := range n.Uplinks {
			c.Uplinks = append(c.Uplinks, uplink(u))
		}
		if len(c.Uplinks) == 0 && r != nil {
			if nic, ok := defaultUplink(*r); ok {
				c.Uplinks = []netsetup.Uplink{{Name: nic.Name, MAC: nicMAC(nic)}}
			}
		}
	}
	return c
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

// netNICs converts the report's NICs for netsetup.Validate.
func netNICs(r hwdetect.Report) []netsetup.NIC {
	var out []netsetup.NIC
	for _, n := range r.NICs {
		mac, _ := net.ParseMAC(n.MAC)
		perm, _ := net.ParseMAC(n.PermanentMAC)
		out = append(out, netsetup.NIC{Name: n.Name, MAC: mac, PermanentMAC: perm, Virtual: n.Virtual})
	}
	return out
}

// formLeaves runs, without the machine, the checks of netsetup and disko that need none:
// names, modes, addresses, paths. Without them, a value those packages refuse (an uplink
// named "eth*", a guest directory under /nix) passed `xennix validate` and `xennix
// answers-media`, and was refused only by the installer on the machine, or by xennix-setup
// after it had taken the file.
func (v *validator) formLeaves() {
	v.leafProblems("network", v.a.NetConfig(nil).ValidateForm())
	// Of disko's checks, those of the paths' form need no disks.
	v.leafProblems("storage", filterLeaf(v.a.DiskoLayout(nil, nil).Validate(), func(field string, err error) bool {
		return (field == disko.FieldPassphraseFile || field == disko.FieldGuestPath) && errors.Is(err, disko.ErrInvalid)
	}))
}

// filterLeaf keeps the problems of a leaf's joined error for which keep is true.
func filterLeaf(err error, keep func(field string, err error) bool) error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []error
	for _, e := range errs {
		field := ""
		var de *disko.FieldError
		var ne *netsetup.FieldError
		switch {
		case errors.As(e, &de):
			field = de.Field
		case errors.As(e, &ne):
			field = ne.Field
		}
		if keep(field, e) {
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// leafProblems adds a leaf package's validation problems to these answers'. The leaves name
// fields by the same paths as the answers file (storage.mirror, network.ipv4.gateway), so
// each problem lands on the line where its field was written.
func (v *validator) leafProblems(fallback string, err error) {
	if err == nil {
		return
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	have := map[string]bool{}
	for _, p := range v.p {
		have[p.Field] = true
	}
	for _, e := range errs {
		field, msg := fallback, e.Error()
		var de *disko.FieldError
		var ne *netsetup.FieldError
		switch {
		case errors.As(e, &de):
			field, msg = answersField(de.Field), de.Msg
		case errors.As(e, &ne):
			field, msg = answersField(ne.Field), ne.Msg
		}
		if have[field] {
			continue // the answers' own check already said what is wrong here
		}
		have[field] = true
		v.bad(field, "%s", msg)
	}
}

// leafFields maps the few fields of disko and netsetup that have no key of their own in the
// answers file to the key that decides them.
var leafFields = strings.NewReplacer(
	"storage.dataFS", "storage.preset",
	"storage.hostId", "storage",
	"network.bond.hashPolicy", "network.bond",
)

func answersField(f string) string {
	f = leafFields.Replace(f)
	if strings.Contains(f, "[") {
		// network.bond.members[1].mac: the answers give a member as one string
		f = strings.TrimSuffix(strings.TrimSuffix(f, ".mac"), ".name")
	}
	return f
}
