package installer

import (
	"net/netip"

	"github.com/xennix/xennix/guests"
)

// Version is the only answers file version this program reads and writes.
const Version = 1

// Answers is the one configuration model of an install: filled by the TUI, by an answers
// file, and saved on the host (secrets only as hashes) for xennix-setup. Its YAML form is the
// public contract of unattended installs; `xennix schema` prints its JSON Schema.
type Answers struct {
	// Version of the answers format; must be 1.
	Version int `yaml:"version" json:"version" jsonschema:"required,enum=1"`
	// Host identity: name, time zone, keyboard and locale.
	Host Host `yaml:"host,omitempty" json:"host,omitempty"`
	// Firmware and boot loader. Xen needs systemd-boot or Limine on UEFI and Limine on BIOS.
	Boot Boot `yaml:"boot,omitempty" json:"boot,omitempty"`
	// Which disks to install on: explicit by-id paths, or a filter that must match exactly.
	Disks Disks `yaml:"disks,omitempty" json:"disks,omitempty"`
	// The storage layout on those disks.
	Storage Storage `yaml:"storage,omitempty" json:"storage,omitempty"`
	// Erase-your-darlings: a root that is reset at every boot, with chosen paths persisted.
	Impermanence Impermanence `yaml:"impermanence,omitempty" json:"impermanence,omitempty"`
	// The Xen bridge that guests and the host share, its uplinks and the host's addresses.
	Network Network `yaml:"network,omitempty" json:"network,omitempty"`
	// Xen hypervisor settings: dom0 resources, command line, PCI passthrough.
	Xen Xen `yaml:"xen,omitempty" json:"xen,omitempty"`
	// The root account and an optional admin user.
	Users Users `yaml:"users,omitempty" json:"users,omitempty"`
	// The SSH server.
	SSH SSH `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	// How the install runs: consent to wipe, reboot, offline, webhook, first-boot commands.
	Install Install `yaml:"install,omitempty" json:"install,omitempty"`
	// Xen guests the tool manages (xennix/guests.nix): created on the installed host's
	// first boot, changed later with xennix-setup and `xennix guest`.
	Guests []Guest `yaml:"guests,omitempty" json:"guests,omitempty"`
	// For a partial file used interactively: the sections the installer still asks about,
	// even if the file answers them.
	Interactive []Section `yaml:"interactive,omitempty" json:"interactive,omitempty"`

	// pos maps field paths to where they were written, for error messages.
	pos  map[string]Position
	file string
}

// Host is the host's identity.
type Host struct {
	// Host name: one RFC 1123 label (letters, digits, hyphens; at most 63 characters).
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	// Optional DNS domain (networking.domain), e.g. example.org.
	Domain string `yaml:"domain,omitempty" json:"domain,omitempty"`
	// IANA time zone, e.g. Europe/Berlin or UTC.
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
	// Console keymap, e.g. us, de, fr.
	Keymap string `yaml:"keymap,omitempty" json:"keymap,omitempty"`
	// Default locale, e.g. en_US.UTF-8.
	Locale string `yaml:"locale,omitempty" json:"locale,omitempty"`
}

// Boot selects firmware and boot loader.
type Boot struct {
	// Firmware: auto (as detected), uefi or bios.
	Firmware Firmware `yaml:"firmware,omitempty" json:"firmware,omitempty"`
	// Boot loader: auto (systemd-boot on UEFI, Limine on BIOS), systemd-boot or limine.
	Loader Loader `yaml:"loader,omitempty" json:"loader,omitempty"`
	// Require Secure Boot. Xen cannot boot with Secure Boot yet, so true is refused.
	SecureBoot bool `yaml:"secure_boot,omitempty" json:"secure_boot,omitempty"`
	// Serial console for Xen and the kernel, e.g. ttyS0,115200; empty for none.
	SerialConsole string `yaml:"serial_console,omitempty" json:"serial_console,omitempty"`
}

// Disks selects the target disks.
type Disks struct {
	// Explicit disks, as /dev/disk/by-id/ paths (names like nvme0n1 change between boots).
	IDs []string `yaml:"ids,omitempty" json:"ids,omitempty"`
	// A filter over the detected disks; it must match exactly the disks the layout needs.
	Filter *DiskFilter `yaml:"filter,omitempty" json:"filter,omitempty"`
}

// DiskFilter chooses disks by their properties. The installer medium never matches.
type DiskFilter struct {
	// Smallest size a disk may have, e.g. 100GiB.
	MinSize Size `yaml:"min_size,omitempty" json:"min_size,omitempty"`
	// Largest size a disk may have, e.g. 4TiB.
	MaxSize Size `yaml:"max_size,omitempty" json:"max_size,omitempty"`
	// Among matching disks, take the largest or the smallest ones.
	Pick Pick `yaml:"pick,omitempty" json:"pick,omitempty"`
	// Glob over the disk model, e.g. "Samsung SSD 9*".
	Model string `yaml:"model,omitempty" json:"model,omitempty"`
	// Glob over the disk serial number.
	Serial string `yaml:"serial,omitempty" json:"serial,omitempty"`
	// Glob over the disk vendor.
	Vendor string `yaml:"vendor,omitempty" json:"vendor,omitempty"`
	// Kind of disk: ssd, hdd or nvme.
	Type DiskType `yaml:"type,omitempty" json:"type,omitempty"`
	// Whether removable disks may match; unset means they may not.
	Removable *bool `yaml:"removable,omitempty" json:"removable,omitempty"`
	// How many disks the filter must yield; default: what the layout needs (2 for a mirror).
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
}

// Storage is the disk layout.
type Storage struct {
	// Layout preset: ext4, lvm, btrfs, zfs or tmpfs-root.
	Preset Preset `yaml:"preset,omitempty" json:"preset,omitempty"`
	// Mirror across two disks (btrfs raid1, zfs mirror, mdadm RAID1 for ext4 and lvm).
	Mirror bool `yaml:"mirror,omitempty" json:"mirror,omitempty"`
	// Disk encryption: LUKS2, or native encryption for zfs.
	Encryption Encryption `yaml:"encryption,omitempty" json:"encryption,omitempty"`
	// Swap size, e.g. 8GiB; 0 for none.
	Swap Size `yaml:"swap,omitempty" json:"swap,omitempty"`
	// EFI system partition (or FAT /boot on BIOS) size; default 1GiB.
	ESPSize Size `yaml:"esp_size,omitempty" json:"esp_size,omitempty"`
	// Root logical volume size for the lvm preset; default 64GiB.
	RootSize Size `yaml:"root_size,omitempty" json:"root_size,omitempty"`
	// Size of the tmpfs root for tmpfs-root, e.g. 2GiB; default 2GiB.
	TmpfsSize Size `yaml:"tmpfs_size,omitempty" json:"tmpfs_size,omitempty"`
	// Where guest disks live.
	Guests GuestStorage `yaml:"guests,omitempty" json:"guests,omitempty"`
}

// Encryption configures disk encryption.
type Encryption struct {
	// Encrypt the disks.
	Enabled bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// File holding the passphrase at install time (it is asked for at every boot). Without
	// it, an interactive install prompts for it; a headless one fails.
	PassphraseFile string `yaml:"passphrase_file,omitempty" json:"passphrase_file,omitempty"`
}

// GuestStorage says where guest disks are stored.
type GuestStorage struct {
	// none, thin-pool (lvm), zvol (zfs) or directory.
	Kind GuestKind `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Directory for guest images (kind directory); default /var/lib/xen/images.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Size of a dedicated volume for the directory (lvm only); 0 = on the root filesystem.
	Size Size `yaml:"size,omitempty" json:"size,omitempty"`
}

// Impermanence configures a root that is reset at every boot.
type Impermanence struct {
	// none, tmpfs (needs storage tmpfs-root), btrfs (needs storage btrfs) or zfs (needs zfs).
	Preset ImpermanencePreset `yaml:"preset,omitempty" json:"preset,omitempty"`
	// Extra directories to keep across boots, as absolute paths.
	Directories []string `yaml:"directories,omitempty" json:"directories,omitempty"`
	// Extra files to keep across boots, as absolute paths.
	Files []string `yaml:"files,omitempty" json:"files,omitempty"`
}

// Network is the host's Xen bridge networking.
type Network struct {
	// Bridge name shared by dom0 and guests; default xenbr0.
	Bridge string `yaml:"bridge,omitempty" json:"bridge,omitempty"`
	// Interfaces enslaved to the bridge, by name (eno1) or MAC address. Empty with no bond:
	// the first physical NIC with carrier.
	Uplinks []string `yaml:"uplinks,omitempty" json:"uplinks,omitempty"`
	// A bond of several NICs as the bridge's uplink instead.
	Bond *Bond `yaml:"bond,omitempty" json:"bond,omitempty"`
	// Management VLAN id for the host's address (1-4094); 0 for untagged.
	VLAN int `yaml:"vlan,omitempty" json:"vlan,omitempty"`
	// MTU for the bridge and its uplinks; 0 to keep the default.
	MTU int `yaml:"mtu,omitempty" json:"mtu,omitempty"`
	// IPv4 configuration.
	IPv4 IPv4 `yaml:"ipv4,omitempty" json:"ipv4,omitempty"`
	// IPv6 configuration.
	IPv6 IPv6 `yaml:"ipv6,omitempty" json:"ipv6,omitempty"`
	// DNS servers.
	DNS []netip.Addr `yaml:"dns,omitempty" json:"dns,omitempty"`
	// DNS search domains.
	Search []string `yaml:"search,omitempty" json:"search,omitempty"`
	// NTP servers (host names or addresses) the host's clock follows, through
	// systemd-timesyncd; empty for those DHCP gives, else NixOS's pool.
	NTP []string `yaml:"ntp,omitempty" json:"ntp,omitempty"`
	// Pin uplink names to their permanent MAC addresses, so they survive hardware changes.
	PinNames bool `yaml:"pin_names,omitempty" json:"pin_names,omitempty"`
}

// Bond aggregates NICs.
type Bond struct {
	// Bond interface name; default bond0.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Bonding mode: active-backup, 802.3ad, balance-alb, balance-tlb, balance-rr, balance-xor.
	Mode BondMode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Member interfaces by name or MAC address; at least two.
	Members []string `yaml:"members,omitempty" json:"members,omitempty"`
	// Link monitoring interval in milliseconds; default 100.
	MIIMon int `yaml:"miimon,omitempty" json:"miimon,omitempty"`
	// LACP rate for 802.3ad: slow or fast.
	LACPRate LACPRate `yaml:"lacp_rate,omitempty" json:"lacp_rate,omitempty"`
}

// IPv4 is the host's IPv4 configuration.
type IPv4 struct {
	// dhcp, static or off.
	Mode IPv4Mode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Static address with prefix length, e.g. 192.0.2.10/24.
	Address netip.Prefix `yaml:"address,omitempty" json:"address,omitempty"`
	// Default gateway, inside the address's subnet.
	Gateway netip.Addr `yaml:"gateway,omitempty" json:"gateway,omitempty"`
}

// IPv6 is the host's IPv6 configuration.
type IPv6 struct {
	// ra (router advertisements, the default), dhcpv6, static or off.
	Mode IPv6Mode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Static address with prefix length, e.g. 2001:db8::10/64.
	Address netip.Prefix `yaml:"address,omitempty" json:"address,omitempty"`
	// Default gateway.
	Gateway netip.Addr `yaml:"gateway,omitempty" json:"gateway,omitempty"`
}

// Xen holds hypervisor settings.
type Xen struct {
	// Memory for dom0, e.g. 4GiB; 0 = chosen from the machine's RAM.
	Dom0Memory Size `yaml:"dom0_memory,omitempty" json:"dom0_memory,omitempty"`
	// Maximum memory dom0 may balloon to; 0 = same as dom0_memory.
	Dom0MaxMemory Size `yaml:"dom0_max_memory,omitempty" json:"dom0_max_memory,omitempty"`
	// Number of vCPUs for dom0; 0 = chosen from the machine's CPUs.
	Dom0VCPUs int `yaml:"dom0_vcpus,omitempty" json:"dom0_vcpus,omitempty"`
	// Let xl balloon dom0 down to make room for guests (off when dom0 memory is fixed).
	Autoballoon bool `yaml:"autoballoon,omitempty" json:"autoballoon,omitempty"`
	// IOMMU policy: auto (use it when present), required (fail to boot without), off.
	IOMMU IOMMUPolicy `yaml:"iommu,omitempty" json:"iommu,omitempty"`
	// Extra Xen command-line parameters, e.g. "sched=credit2".
	Cmdline []string `yaml:"cmdline,omitempty" json:"cmdline,omitempty"`
	// PCI devices hidden from dom0 for passthrough, as addresses like 0000:03:00.0.
	Passthrough []guests.PCIAddress `yaml:"passthrough,omitempty" json:"passthrough,omitempty"`
}

// Users holds the accounts.
type Users struct {
	// The root account.
	Root Account `yaml:"root,omitempty" json:"root,omitempty"`
	// An admin user in the wheel group; omitted when name is empty.
	Admin Account `yaml:"admin,omitempty" json:"admin,omitempty"`
}

// Account is one user's credentials.
type Account struct {
	// User name (admin only; root is always root).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// A crypt(3) password hash (mkpasswd): $y$…, $6$…, $5$…, $2b$…, or ! for no password.
	HashedPassword string `yaml:"hashed_password,omitempty" json:"hashed_password,omitempty"`
	// A plaintext password: it is hashed as soon as it is read and never written anywhere.
	Password string `yaml:"password,omitempty" json:"password,omitempty"`
	// SSH public keys in authorized_keys format.
	SSHKeys []string `yaml:"ssh_keys,omitempty" json:"ssh_keys,omitempty"`
}

// SSH configures the SSH server.
type SSH struct {
	// Run the SSH server; default true.
	Enable *bool `yaml:"enable,omitempty" json:"enable,omitempty"`
	// Root login: prohibit-password (keys only, the default), yes or no.
	RootLogin RootLogin `yaml:"root_login,omitempty" json:"root_login,omitempty"`
	// Allow password authentication; default false.
	PasswordAuth bool `yaml:"password_auth,omitempty" json:"password_auth,omitempty"`
}

// Install says how the install runs.
type Install struct {
	// Consent to erase the selected disks without asking. Needed for headless installs.
	Wipe bool `yaml:"wipe,omitempty" json:"wipe,omitempty"`
	// Reboot when the install has succeeded; default true.
	Reboot *bool `yaml:"reboot,omitempty" json:"reboot,omitempty"`
	// Install without network: use only what the installer image carries.
	Offline bool `yaml:"offline,omitempty" json:"offline,omitempty"`
	// URL that gets a POST for the started, succeeded and failed events.
	Webhook string `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	// Shell commands run once on the installed host at first boot, after network-online.
	FirstBoot []string `yaml:"first_boot,omitempty" json:"first_boot,omitempty"`
	// Extra nixpkgs packages by attribute name, e.g. htop or python3Packages.requests.
	ExtraPackages []string `yaml:"extra_packages,omitempty" json:"extra_packages,omitempty"`
}

// Position is where a value was written in an answers file.
type Position struct {
	Line, Column int
}
