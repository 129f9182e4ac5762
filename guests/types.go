package guests

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Kind is what a guest boots: a NixOS system built with the host, an installer ISO, or
// existing disks.
type Kind string

// Kinds of guests (xennix.guests.<name>.kind).
const (
	KindNixOS Kind = "nixos"
	KindISO   Kind = "iso"
	KindImage Kind = "image"
)

// Kinds lists the kinds in the order the module declares them.
var Kinds = []Kind{KindNixOS, KindISO, KindImage}

// UnmarshalText accepts exactly one of Kinds.
func (k *Kind) UnmarshalText(b []byte) error { return parseEnum(k, b, Kinds) }

// Type is the Xen guest type.
type Type string

// Guest types (xennix.guests.<name>.type).
const (
	TypePVH Type = "pvh"
	TypeHVM Type = "hvm"
	TypePV  Type = "pv"
)

// Types lists the guest types.
var Types = []Type{TypePVH, TypeHVM, TypePV}

// UnmarshalText accepts exactly one of Types.
func (t *Type) UnmarshalText(b []byte) error { return parseEnum(t, b, Types) }

// Firmware is an HVM guest's firmware.
type Firmware string

// Firmwares (xennix.guests.<name>.firmware). UEFI HVM is broken on nixpkgs' Xen (nixpkgs
// issue #458070), so bios is the default.
const (
	FirmwareBIOS Firmware = "bios"
	FirmwareUEFI Firmware = "uefi"
)

// Firmwares lists the firmwares.
var Firmwares = []Firmware{FirmwareBIOS, FirmwareUEFI}

// UnmarshalText accepts exactly one of Firmwares.
func (f *Firmware) UnmarshalText(b []byte) error { return parseEnum(f, b, Firmwares) }

// BootDevice is one entry of an HVM guest's boot order.
type BootDevice string

// Boot devices (xennix.guests.<name>.bootOrder).
const (
	BootDisk    BootDevice = "disk"
	BootCDROM   BootDevice = "cdrom"
	BootNetwork BootDevice = "network"
)

// BootDevices lists the boot devices.
var BootDevices = []BootDevice{BootDisk, BootCDROM, BootNetwork}

// UnmarshalText accepts exactly one of BootDevices.
func (d *BootDevice) UnmarshalText(b []byte) error { return parseEnum(d, b, BootDevices) }

// OnCrash is what Xen does when the guest crashes (xl.cfg on_crash).
type OnCrash string

// OnCrashes lists the actions the module accepts.
var OnCrashes = []OnCrash{"destroy", "restart", "preserve", "coredump-destroy", "coredump-restart"}

// UnmarshalText accepts exactly one of OnCrashes.
func (o *OnCrash) UnmarshalText(b []byte) error { return parseEnum(o, b, OnCrashes) }

// DiskFormat is a disk image format: raw goes through blkback, qcow2 through QEMU's qdisk.
type DiskFormat string

// Disk formats.
const (
	FormatRaw   DiskFormat = "raw"
	FormatQCOW2 DiskFormat = "qcow2"
)

// DiskFormats lists the formats.
var DiskFormats = []DiskFormat{FormatRaw, FormatQCOW2}

// UnmarshalText accepts exactly one of DiskFormats.
func (f *DiskFormat) UnmarshalText(b []byte) error { return parseEnum(f, b, DiskFormats) }

func parseEnum[T ~string](dst *T, text []byte, allowed []T) error {
	for _, a := range allowed {
		if string(a) == string(text) {
			*dst = a
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Errorf("%q is not one of %s", text, strings.Join(names, ", "))
}

// PCIAddress is a PCI function's domain:bus:device.function.
type PCIAddress struct {
	Domain   uint16
	Bus      uint8
	Device   uint8 // 0 to 31
	Function uint8 // 0 to 7
}

var pciRE = regexp.MustCompile(`^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$`)

// ParsePCIAddress reads "0000:03:00.0" or "03:00.0" (domain 0).
func ParsePCIAddress(s string) (PCIAddress, error) {
	m := pciRE.FindStringSubmatch(s)
	if m == nil {
		return PCIAddress{}, fmt.Errorf("%q is not a PCI address (want e.g. 0000:03:00.0)", s)
	}
	hex := func(x string) uint64 { v, _ := strconv.ParseUint(x, 16, 16); return v }
	a := PCIAddress{Bus: uint8(hex(m[2])), Device: uint8(hex(m[3])), Function: uint8(hex(m[4]))}
	if m[1] != "" {
		a.Domain = uint16(hex(m[1]))
	}
	if a.Device > 31 {
		return PCIAddress{}, fmt.Errorf("%q is not a PCI address: device %02x is above 1f", s, a.Device)
	}
	return a, nil
}

// String is the full lower-case form xl and pciback print: 0000:03:00.0.
func (a PCIAddress) String() string {
	return fmt.Sprintf("%04x:%02x:%02x.%d", a.Domain, a.Bus, a.Device, a.Function)
}

// UnmarshalText parses a PCI address; see ParsePCIAddress.
func (a *PCIAddress) UnmarshalText(b []byte) error {
	p, err := ParsePCIAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// MarshalText writes the full form.
func (a PCIAddress) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// MAC is a guest interface's unicast Ethernet address.
type MAC struct{ net.HardwareAddr }

// ParseMAC reads a 48-bit unicast MAC address such as 00:16:3e:12:34:56.
func ParseMAC(s string) (MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || !strings.Contains(s, ":") {
		return MAC{}, fmt.Errorf("%q is not a MAC address like 00:16:3e:12:34:56", s)
	}
	if hw[0]&1 != 0 {
		return MAC{}, fmt.Errorf("%q is a multicast address; a guest needs a unicast one (first octet even)", s)
	}
	return MAC{hw}, nil
}

// IsZero reports whether no address is set.
func (m MAC) IsZero() bool { return len(m.HardwareAddr) == 0 }

// String is the lower-case colon form, "" when not set.
func (m MAC) String() string {
	if m.IsZero() {
		return ""
	}
	return m.HardwareAddr.String()
}

// UnmarshalText parses a MAC address; see ParseMAC.
func (m *MAC) UnmarshalText(b []byte) error {
	p, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// MarshalText writes the lower-case colon form.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidName reports whether s can name a guest: one lower-case DNS label, as the module
// asserts (it is the domain's name and the guest's host name).
func ValidName(s string) bool { return nameRE.MatchString(s) }

// UnitName is the systemd unit of a declared or tool-managed guest.
func UnitName(name string) string { return "xen-guest-" + name + ".service" }
