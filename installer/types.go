package installer

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"
)

// enum is the common part of the answers' word-valued fields: they accept exactly their
// listed words and say which ones when given anything else.
type enum interface {
	~string
}

func parseEnum[T enum](dst *T, text []byte, allowed []T) error {
	v := T(text)
	if !slices.Contains(allowed, v) {
		words := make([]string, len(allowed))
		for i, a := range allowed {
			words[i] = string(a)
		}
		return fmt.Errorf("%q is not one of %s", string(text), strings.Join(words, ", "))
	}
	*dst = v
	return nil
}

func enumSchema[T enum](s *jsonschema.Schema, allowed []T) {
	s.Type = "string"
	s.Enum = nil
	for _, a := range allowed {
		s.Enum = append(s.Enum, string(a))
	}
}

// Firmware is the machine's firmware interface.
type Firmware string

// Firmware values.
const (
	FirmwareAuto Firmware = "auto"
	FirmwareUEFI Firmware = "uefi"
	FirmwareBIOS Firmware = "bios"
)

var firmwares = []Firmware{FirmwareAuto, FirmwareUEFI, FirmwareBIOS}

// UnmarshalText accepts auto, uefi or bios.
func (f *Firmware) UnmarshalText(b []byte) error { return parseEnum(f, b, firmwares) }

// JSONSchemaExtend lists the accepted words in the schema.
func (Firmware) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, firmwares) }

// Loader is the boot loader.
type Loader string

// Loader values.
const (
	LoaderAuto        Loader = "auto"
	LoaderSystemdBoot Loader = "systemd-boot"
	LoaderLimine      Loader = "limine"
)

var loaders = []Loader{LoaderAuto, LoaderSystemdBoot, LoaderLimine}

// UnmarshalText accepts auto, systemd-boot or limine.
func (l *Loader) UnmarshalText(b []byte) error { return parseEnum(l, b, loaders) }

// JSONSchemaExtend lists the accepted words in the schema.
func (Loader) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, loaders) }

// Pick orders disks that match a filter.
type Pick string

var picks = []Pick{"largest", "smallest"}

// UnmarshalText accepts largest or smallest.
func (p *Pick) UnmarshalText(b []byte) error { return parseEnum(p, b, picks) }

// JSONSchemaExtend lists the accepted words in the schema.
func (Pick) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, picks) }

// DiskType is a kind of disk for filters.
type DiskType string

var diskTypes = []DiskType{"ssd", "hdd", "nvme"}

// UnmarshalText accepts ssd, hdd or nvme.
func (d *DiskType) UnmarshalText(b []byte) error { return parseEnum(d, b, diskTypes) }

// JSONSchemaExtend lists the accepted words in the schema.
func (DiskType) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, diskTypes) }

// Preset is a storage layout preset.
type Preset string

// Preset values.
const (
	PresetExt4      Preset = "ext4"
	PresetLVM       Preset = "lvm"
	PresetBtrfs     Preset = "btrfs"
	PresetZFS       Preset = "zfs"
	PresetTmpfsRoot Preset = "tmpfs-root"
)

var presets = []Preset{PresetExt4, PresetLVM, PresetBtrfs, PresetZFS, PresetTmpfsRoot}

// UnmarshalText accepts ext4, lvm, btrfs, zfs or tmpfs-root.
func (p *Preset) UnmarshalText(b []byte) error { return parseEnum(p, b, presets) }

// JSONSchemaExtend lists the accepted words in the schema.
func (Preset) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, presets) }

// GuestKind is where guest disks live.
type GuestKind string

// GuestKind values.
const (
	GuestNone      GuestKind = "none"
	GuestThinPool  GuestKind = "thin-pool"
	GuestZvol      GuestKind = "zvol"
	GuestDirectory GuestKind = "directory"
)

var guestKinds = []GuestKind{GuestNone, GuestThinPool, GuestZvol, GuestDirectory}

// UnmarshalText accepts none, thin-pool, zvol or directory.
func (g *GuestKind) UnmarshalText(b []byte) error { return parseEnum(g, b, guestKinds) }

// JSONSchemaExtend lists the accepted words in the schema.
func (GuestKind) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, guestKinds) }

// ImpermanencePreset selects how the root is reset at boot.
type ImpermanencePreset string

// ImpermanencePreset values.
const (
	ImpermanenceNone  ImpermanencePreset = "none"
	ImpermanenceTmpfs ImpermanencePreset = "tmpfs"
	ImpermanenceBtrfs ImpermanencePreset = "btrfs"
	ImpermanenceZFS   ImpermanencePreset = "zfs"
)

var impermanencePresets = []ImpermanencePreset{ImpermanenceNone, ImpermanenceTmpfs, ImpermanenceBtrfs, ImpermanenceZFS}

// UnmarshalText accepts none, tmpfs, btrfs or zfs.
func (p *ImpermanencePreset) UnmarshalText(b []byte) error {
	return parseEnum(p, b, impermanencePresets)
}

// JSONSchemaExtend lists the accepted words in the schema.
func (ImpermanencePreset) JSONSchemaExtend(s *jsonschema.Schema) {
	enumSchema(s, impermanencePresets)
}

// BondMode is a Linux bonding mode (kernel Documentation/networking/bonding.rst).
type BondMode string

var bondModes = []BondMode{"active-backup", "802.3ad", "balance-alb", "balance-tlb", "balance-rr", "balance-xor", "broadcast"}

// UnmarshalText accepts the bonding modes by their kernel names.
func (m *BondMode) UnmarshalText(b []byte) error { return parseEnum(m, b, bondModes) }

// JSONSchemaExtend lists the accepted words in the schema.
func (BondMode) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, bondModes) }

// LACPRate is how often an 802.3ad bond asks its partner for LACPDUs.
type LACPRate string

var lacpRates = []LACPRate{"slow", "fast"}

// UnmarshalText accepts slow or fast.
func (r *LACPRate) UnmarshalText(b []byte) error { return parseEnum(r, b, lacpRates) }

// JSONSchemaExtend lists the accepted words in the schema.
func (LACPRate) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, lacpRates) }

// IPv4Mode is how the host gets its IPv4 address.
type IPv4Mode string

// IPv4Mode values.
const (
	IPv4DHCP   IPv4Mode = "dhcp"
	IPv4Static IPv4Mode = "static"
	IPv4Off    IPv4Mode = "off"
)

var ipv4Modes = []IPv4Mode{IPv4DHCP, IPv4Static, IPv4Off}

// UnmarshalText accepts dhcp, static or off.
func (m *IPv4Mode) UnmarshalText(b []byte) error { return parseEnum(m, b, ipv4Modes) }

// JSONSchemaExtend lists the accepted words in the schema.
func (IPv4Mode) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, ipv4Modes) }

// IPv6Mode is how the host gets its IPv6 address.
type IPv6Mode string

// IPv6Mode values.
const (
	IPv6RA     IPv6Mode = "ra"
	IPv6DHCPv6 IPv6Mode = "dhcpv6"
	IPv6Static IPv6Mode = "static"
	IPv6Off    IPv6Mode = "off"
)

var ipv6Modes = []IPv6Mode{IPv6RA, IPv6DHCPv6, IPv6Static, IPv6Off}

// UnmarshalText accepts ra, dhcpv6, static or off.
func (m *IPv6Mode) UnmarshalText(b []byte) error { return parseEnum(m, b, ipv6Modes) }

// JSONSchemaExtend lists the accepted words in the schema.
func (IPv6Mode) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, ipv6Modes) }

// IOMMUPolicy is what Xen does with the IOMMU.
type IOMMUPolicy string

var iommuPolicies = []IOMMUPolicy{"auto", "required", "off"}

// UnmarshalText accepts auto, required or off.
func (p *IOMMUPolicy) UnmarshalText(b []byte) error { return parseEnum(p, b, iommuPolicies) }

// JSONSchemaExtend lists the accepted words in the schema.
func (IOMMUPolicy) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, iommuPolicies) }

// RootLogin is the SSH server's PermitRootLogin policy.
type RootLogin string

var rootLogins = []RootLogin{"prohibit-password", "yes", "no"}

// UnmarshalText accepts prohibit-password, yes or no.
func (r *RootLogin) UnmarshalText(b []byte) error { return parseEnum(r, b, rootLogins) }

// JSONSchemaExtend lists the accepted words in the schema.
func (RootLogin) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, rootLogins) }

// Section names a top-level section of the answers, for the interactive list.
type Section string

var sections = []Section{"host", "boot", "disks", "storage", "impermanence", "network", "xen", "users", "ssh", "install"}

// UnmarshalText accepts the name of a section.
func (s *Section) UnmarshalText(b []byte) error { return parseEnum(s, b, sections) }

// JSONSchemaExtend lists the accepted words in the schema.
func (Section) JSONSchemaExtend(s *jsonschema.Schema) { enumSchema(s, sections) }

// Size is a number of bytes, written in answers like 64GiB, 512MiB, 1.5TB or 0.
type Size uint64

// Common sizes.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
	TiB Size = 1 << 40

	// MaxSize bounds every size in the answers: 1 EiB, beyond any disk, and small enough that
	// adding a few sizes (a layout's ESP, swap and root) cannot overflow.
	MaxSize Size = 1 << 60
)

var sizeUnits = map[string]*big.Rat{
	"": big.NewRat(1, 1), "B": big.NewRat(1, 1),
	"K": big.NewRat(1<<10, 1), "KiB": big.NewRat(1<<10, 1), "KB": big.NewRat(1e3, 1),
	"M": big.NewRat(1<<20, 1), "MiB": big.NewRat(1<<20, 1), "MB": big.NewRat(1e6, 1),
	"G": big.NewRat(1<<30, 1), "GiB": big.NewRat(1<<30, 1), "GB": big.NewRat(1e9, 1),
	"T": big.NewRat(1<<40, 1), "TiB": big.NewRat(1<<40, 1), "TB": big.NewRat(1e12, 1),
}

var errSizeSyntax = errors.New("want a size like 512MiB, 64GiB or 2TB")

// ParseSize parses a size: a non-negative number with an optional unit (B, KiB, MiB, GiB,
// TiB, or the decimal KB, MB, GB, TB; K, M, G, T are binary, as in disko and lvm).
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("%q is negative: sizes cannot be", s)
	}
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := sizeUnits[unit]
	if num == "" || !ok || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("%q: %w", s, errSizeSyntax)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q: %w", s, errSizeSyntax)
	}
	r.Mul(r, mult)
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	if r.Num().Cmp(new(big.Int).SetUint64(uint64(MaxSize))) > 0 {
		return 0, fmt.Errorf("%q is larger than any disk (at most %s)", s, MaxSize)
	}
	return Size(r.Num().Uint64()), nil
}

// UnmarshalText parses a size such as 64GiB.
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// MarshalText writes the size in the largest binary unit that divides it.
func (z Size) MarshalText() ([]byte, error) { return []byte(z.String()), nil }

// String writes the size in the largest binary unit that divides it exactly: 64GiB, 1536MiB.
func (z Size) String() string {
	for _, u := range []struct {
		n string
		v Size
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if z != 0 && z%u.v == 0 {
			return fmt.Sprintf("%d%s", z/u.v, u.n)
		}
	}
	return fmt.Sprintf("%d", uint64(z))
}

// Human writes the size rounded for people: 931.5GiB.
func (z Size) Human() string {
	f := float64(z)
	for _, u := range []struct {
		n string
		v Size
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if z >= u.v {
			return strings.TrimSuffix(fmt.Sprintf("%.1f", f/float64(u.v)), ".0") + u.n
		}
	}
	return fmt.Sprintf("%dB", uint64(z))
}

// JSONSchema describes a size: a string with a unit, or a number of bytes.
func (Size) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: `^\s*[0-9]+(\.[0-9]+)?\s*(B|K|KiB|KB|M|MiB|MB|G|GiB|GB|T|TiB|TB)?\s*$`},
			{Type: "integer", Minimum: "0"},
		},
	}
}
