package installer

import (
	"net/netip"
	"strconv"

	"github.com/xennix/xennix/guests"
)

// Guest is one tool-managed Xen guest: xennix.guests.<name> in xennix/guests.nix
// (assets/nixos/OPTIONS.md, "Guests"), everything the module offers except free NixOS
// configuration, which a NixOS guest keeps in its own /etc/nixos/guests/<name>.nix.
type Guest struct {
	// Guest name: one lower-case DNS label (the domain's name and the guest's host name).
	Name string `yaml:"name" json:"name" jsonschema:"required"`
	// false keeps the guest in the configuration but not running; default true.
	Enable *bool `yaml:"enable,omitempty" json:"enable,omitempty"`
	// nixos (built with the host; default), iso (boots an installer ISO) or image (existing disks).
	Kind guests.Kind `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Xen guest type pvh, hvm or pv; default pvh for NixOS guests, hvm with PCI devices or for iso and image guests.
	Type guests.Type `yaml:"type,omitempty" json:"type,omitempty"`
	// Domain UUID, lower case; default: derived from the host and guest names.
	UUID string `yaml:"uuid,omitempty" json:"uuid,omitempty"`
	// Memory at start, e.g. 2GiB; default 1GiB.
	Memory Size `yaml:"memory,omitempty" json:"memory,omitempty"`
	// Memory the guest may balloon up to; default: memory.
	MaxMemory Size `yaml:"max_memory,omitempty" json:"max_memory,omitempty"`
	// Virtual CPUs; default 1.
	VCPUs int `yaml:"vcpus,omitempty" json:"vcpus,omitempty"`
	// Physical CPUs to pin the vCPUs to, e.g. "2-5" or "1,3"; default none.
	CPUs string `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	// Disks in order (xvda, xvdb, ...; after a NixOS guest's store on xvda).
	Disks []GuestDisk `yaml:"disks,omitempty" json:"disks,omitempty"`
	// Network interfaces; default one on the host bridge with a derived MAC.
	Network []GuestInterface `yaml:"network,omitempty" json:"network,omitempty"`
	// No network interface at all (instead of the default one).
	NoNetwork bool `yaml:"no_network,omitempty" json:"no_network,omitempty"`
	// PCI devices passed through, e.g. 0000:03:00.0: each is hidden from dom0 (which takes a reboot).
	PCI []guests.PCIAddress `yaml:"pci,omitempty" json:"pci,omitempty"`
	// HVM firmware bios (default) or uefi (broken on nixpkgs' Xen: nixpkgs #458070).
	Firmware guests.Firmware `yaml:"firmware,omitempty" json:"firmware,omitempty"`
	// HVM boot order of disk, cdrom, network; default cdrom then disk with an ISO, else disk.
	BootOrder []guests.BootDevice `yaml:"boot_order,omitempty" json:"boot_order,omitempty"`
	// Installer ISO (kind iso), an absolute path on the host, e.g. /var/lib/xen/iso/debian.iso.
	ISO string `yaml:"iso,omitempty" json:"iso,omitempty"`
	// VNC console of an HVM guest.
	VNC *GuestVNC `yaml:"vnc,omitempty" json:"vnc,omitempty"`
	// SSH public keys for root in a NixOS guest (and sshd on).
	SSHKeys []string `yaml:"ssh_keys,omitempty" json:"ssh_keys,omitempty"`
	// Guests of this section that this one starts after (ordering only).
	After []string `yaml:"after,omitempty" json:"after,omitempty"`
	// Start with the host; default true.
	Autostart *bool `yaml:"autostart,omitempty" json:"autostart,omitempty"`
	// Restart the guest when a rebuild changes it; false keeps it running (stale) until `xennix guest apply`. Default true.
	RestartIfChanged *bool `yaml:"restart_if_changed,omitempty" json:"restart_if_changed,omitempty"`
	// Seconds for a graceful shutdown before the domain is destroyed; default 300.
	ShutdownTimeout int `yaml:"shutdown_timeout,omitempty" json:"shutdown_timeout,omitempty"`
	// What Xen does when the guest crashes: destroy, restart (default), preserve, coredump-destroy, coredump-restart.
	OnCrash guests.OnCrash `yaml:"on_crash,omitempty" json:"on_crash,omitempty"`
	// Free xl.cfg keys (xl.cfg(5)), written after XenNix's own and replacing any of the same name: key to a string, a whole number, true/false or a list of those, e.g. viridian: [defaults]. name, uuid and on_poweroff cannot be set.
	ExtraConfig map[string]guests.XLValue `yaml:"extra_config,omitempty" json:"extra_config,omitempty"`
}

// GuestDisk is one guest disk: an existing file or device (target), or a volume created once
// in the guest storage (storage.guests) on the guest's first start.
type GuestDisk struct {
	// An existing disk image file, or a whole disk as /dev/disk/by-id/...
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	// A new volume's name (a-z, 0-9, _ and -), created once, never resized or deleted.
	Volume string `yaml:"volume,omitempty" json:"volume,omitempty"`
	// A new volume's size, e.g. 20GiB (whole KiB).
	Size Size `yaml:"size,omitempty" json:"size,omitempty"`
	// raw (default) or qcow2 (through QEMU).
	Format guests.DiskFormat `yaml:"format,omitempty" json:"format,omitempty"`
	// Attach read-only.
	ReadOnly bool `yaml:"read_only,omitempty" json:"read_only,omitempty"`
	// Attach as a CD-ROM.
	CDROM bool `yaml:"cdrom,omitempty" json:"cdrom,omitempty"`
	// Device name in the guest, e.g. xvdc; default by position.
	VDev string `yaml:"vdev,omitempty" json:"vdev,omitempty"`
}

// GuestInterface is one guest network interface.
type GuestInterface struct {
	// Host bridge; default the host's bridge (network.bridge).
	Bridge string `yaml:"bridge,omitempty" json:"bridge,omitempty"`
	// MAC address; default a stable one derived in Xen's 00:16:3e.
	MAC guests.MAC `yaml:"mac,omitempty" json:"mac,omitempty"`
	// VLAN the interface is an untagged member of (1 to 4094).
	VLAN int `yaml:"vlan,omitempty" json:"vlan,omitempty"`
	// A static IPv4 address (NixOS guests configure it; for others it is what ssh uses).
	IPv4 GuestIPv4 `yaml:"ipv4,omitempty" json:"ipv4,omitempty"`
}

// GuestIPv4 is a guest interface's static IPv4 configuration; empty means DHCP.
type GuestIPv4 struct {
	// Address with prefix length, e.g. 192.168.1.20/24.
	Address netip.Prefix `yaml:"address,omitempty" json:"address,omitempty"`
	// Default gateway, inside the address's subnet.
	Gateway netip.Addr `yaml:"gateway,omitempty" json:"gateway,omitempty"`
}

// GuestVNC is an HVM guest's VNC console.
type GuestVNC struct {
	// Whether to offer VNC; default true for HVM guests.
	Enable *bool `yaml:"enable,omitempty" json:"enable,omitempty"`
	// Address to listen on; default 127.0.0.1 (reach it through ssh -L).
	Listen netip.Addr `yaml:"listen,omitempty" json:"listen,omitempty"`
}

// GuestByName returns the guest of the answers called name.
func (a Answers) GuestByName(name string) (Guest, int, bool) {
	for i, g := range a.Guests {
		if g.Name == name {
			return g, i, true
		}
	}
	return Guest{}, -1, false
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Model converts the answers' guest into the guests package's model.
func (g Guest) Model() guests.Guest {
	m := guests.Guest{
		Name: g.Name, Enable: boolOr(g.Enable, true), Kind: g.Kind, Type: g.Type, UUID: g.UUID,
		Memory: int(g.Memory / MiB), MaxMem: int(g.MaxMemory / MiB), VCPUs: g.VCPUs, CPUs: g.CPUs,
		NoNetwork: g.NoNetwork, PCI: g.PCI, Firmware: g.Firmware, BootOrder: g.BootOrder,
		ISO: g.ISO, SSHKeys: g.SSHKeys, After: g.After,
		Autostart: boolOr(g.Autostart, true), RestartIfChanged: boolOr(g.RestartIfChanged, true),
		ShutdownTimeout: g.ShutdownTimeout, OnCrash: g.OnCrash, ExtraConfig: g.ExtraConfig,
	}
	if m.Kind == "" {
		m.Kind = guests.KindNixOS
	}
	for _, d := range g.Disks {
		md := guests.Disk{Target: d.Target, Volume: d.Volume, Format: d.Format, ReadOnly: d.ReadOnly, CDROM: d.CDROM, VDev: d.VDev}
		if d.Volume != "" {
			md.Size = moduleSize(d.Size)
		}
		m.Disks = append(m.Disks, md)
	}
	for _, n := range g.Network {
		m.Network = append(m.Network, guests.Interface{Bridge: n.Bridge, MAC: n.MAC, VLAN: n.VLAN, Address: n.IPv4.Address, Gateway: n.IPv4.Gateway})
	}
	if g.VNC != nil {
		m.VNC = &guests.VNC{Enable: boolOr(g.VNC.Enable, true), Listen: g.VNC.Listen}
	}
	return m
}

// moduleSize writes a size as the module takes it: a number and K, M, G or T (binary units,
// as truncate, lvcreate and zfs read them), in the largest unit that divides it.
func moduleSize(z Size) string {
	for _, u := range []struct {
		s string
		n Size
	}{{"T", TiB}, {"G", GiB}, {"M", MiB}, {"K", KiB}} {
		if z >= u.n && z%u.n == 0 {
			return strconv.FormatUint(uint64(z/u.n), 10) + u.s
		}
	}
	return ""
}

// GuestFromModel is the answers' guest of a model guest (an adopted domain, whose disks
// are all existing targets): the inverse of Model, leaving each default unset.
func GuestFromModel(m guests.Guest) Guest {
	g := Guest{Name: m.Name, Kind: m.Kind, Type: m.Type, UUID: m.UUID, Memory: Size(m.Memory) * MiB,
		MaxMemory: Size(m.MaxMem) * MiB, VCPUs: m.VCPUs, CPUs: m.CPUs, NoNetwork: m.NoNetwork, PCI: m.PCI,
		Firmware: m.Firmware, BootOrder: m.BootOrder, ISO: m.ISO, SSHKeys: m.SSHKeys, After: m.After,
		ShutdownTimeout: m.ShutdownTimeout, OnCrash: m.OnCrash, ExtraConfig: m.ExtraConfig}
	if g.Kind == guests.KindNixOS {
		g.Kind = ""
	}
	off := false
	if !m.Enable {
		g.Enable = &off
	}
	if !m.Autostart {
		g.Autostart = &off
	}
	if !m.RestartIfChanged {
		g.RestartIfChanged = &off
	}
	for _, d := range m.Disks {
		g.Disks = append(g.Disks, GuestDisk{Target: d.Target, Volume: d.Volume, Format: d.Format, ReadOnly: d.ReadOnly, CDROM: d.CDROM, VDev: d.VDev})
	}
	for _, n := range m.Network {
		g.Network = append(g.Network, GuestInterface{Bridge: n.Bridge, MAC: n.MAC, VLAN: n.VLAN, IPv4: GuestIPv4{Address: n.Address, Gateway: n.Gateway}})
	}
	if m.VNC != nil {
		on := m.VNC.Enable
		g.VNC = &GuestVNC{Enable: &on, Listen: m.VNC.Listen}
	}
	return g
}
