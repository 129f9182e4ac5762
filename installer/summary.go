package installer

import (
	"fmt"
	"strings"

	"github.com/xennix/xennix/hwdetect"
)

// Summary is one line saying what these answers would install, for `xennix validate` and
// the review screen: host, storage on which disks, boot, network, dom0 resources.
func (a Answers) Summary(r *hwdetect.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", a.Host.Hostname, a.Storage.Preset)
	if a.Storage.Mirror {
		b.WriteString(" mirror")
	}
	if a.Storage.Encryption.Enabled {
		b.WriteString(" encrypted")
	}
	if a.Impermanence.Preset != "" && a.Impermanence.Preset != ImpermanenceNone {
		fmt.Fprintf(&b, " with %s impermanence", a.Impermanence.Preset)
	}
	b.WriteString(" on ")
	var disks []string
	if r != nil {
		if ds, err := a.SelectDisks(*r); err == nil {
			for _, d := range ds {
				disks = append(disks, fmt.Sprintf("%s (%s)", d.Name, Size(d.SizeBytes).Human()))
			}
		}
	}
	switch {
	case len(disks) > 0:
		b.WriteString(strings.Join(disks, " + "))
	case len(a.Disks.IDs) > 0:
		b.WriteString(strings.Join(a.Disks.IDs, " + "))
	default:
		fmt.Fprintf(&b, "%d disk(s) chosen by filter", a.DiskCount())
	}
	fw := string(a.Firmware(r))
	if r == nil && (a.Boot.Firmware == "" || a.Boot.Firmware == FirmwareAuto) {
		fw = "firmware as detected"
	}
	fmt.Fprintf(&b, "; boot %s/%s", fw, a.Loader(r))
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
	if a.Xen.Dom0Memory != 0 || r != nil {
		mem = a.Dom0Memory(r).String()
	}
	fmt.Fprintf(&b, "; dom0 %s", mem)
	if v := a.Dom0VCPUs(r); v > 0 {
		fmt.Fprintf(&b, ", %d vCPUs", v)
	}
	if len(a.Xen.Passthrough) > 0 {
		fmt.Fprintf(&b, ", %d PCI device(s) for passthrough", len(a.Xen.Passthrough))
	}
	return b.String()
}
