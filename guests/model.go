package guests

import "net/netip"

// Guest is one guest as xennix.guests.<name> takes it (assets/nixos/OPTIONS.md, "Guests"),
// with typed values: what the installer renders into xennix/guests.nix. Zero values leave
// the module's default (a nil pointer, an empty string or list, 0).
type Guest struct {
	Name    string
	Enable  bool
	Kind    Kind
	Type    Type // "" = the module's choice (pvh, hvm with PCI or for iso/image guests)
	UUID    string
	Memory  int // MiB
	MaxMem  int // MiB, 0 = Memory
	VCPUs   int
	CPUs    string // pinning, e.g. "2-5"
	Disks   []Disk
	Network []Interface
	// NoNetwork is a guest without any interface (the module's default is one on the host
	// bridge, so an empty Network keeps it).
	NoNetwork        bool
	PCI              []PCIAddress
	Firmware         Firmware
	BootOrder        []BootDevice
	ISO              string
	VNC              *VNC
	SSHKeys          []string
	After            []string
	Autostart        bool
	RestartIfChanged bool
	ShutdownTimeout  int // seconds, 0 = the module's 300
	OnCrash          OnCrash
	// ExtraConfig are free xl.cfg keys (extraConfig), written after and over XenNix's own.
	ExtraConfig map[string]XLValue
}

// Disk is one guest disk: an existing target, or a volume created once on first start.
type Disk struct {
	Target   string
	Volume   string
	Size     string // "20G": a number and K, M, G or T, as the module takes it
	Format   DiskFormat
	ReadOnly bool
	CDROM    bool
	VDev     string
}

// Interface is one guest network interface.
type Interface struct {
	Bridge  string // "" = the host bridge
	MAC     MAC    // zero = derived from host, guest and index
	VLAN    int    // 0 = none
	Address netip.Prefix
	Gateway netip.Addr
}

// VNC is an HVM guest's VNC console.
type VNC struct {
	Enable bool
	Listen netip.Addr
}
