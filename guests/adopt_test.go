package guests

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// xlOut answers `xl list -l` with a fixed output.
type xlOut string

func (x xlOut) Run(context.Context, []string) ([]byte, error) { return []byte(x), nil }

// TestAdoptable reads domains as libxl prints them (key names from Debian's libxenlight
// 4.17 libxl_domain_config_to_json: "type.hvm", zero fields left out) into guests, and
// refuses those a guest of kind image cannot run.
func TestAdoptable(t *testing.T) {
	const full = `libxl: warning: something first
[{"domid": 3, "config": {
  "c_info": {"type": "hvm", "name": "win", "uuid": "0B1C2D3E-4F50-4617-8829-3A4B5C6D7E8F"},
  "b_info": {"max_vcpus": 4, "max_memkb": 4194304, "target_memkb": 4194304,
    "type.hvm": {"bios": "ovmf", "vga": {}, "boot": "ncd"}},
  "disks": [{"pdev_path": "/dev/disk/by-id/ata-X", "vdev": "hda", "format": "raw", "readwrite": 1},
    {"pdev_path": "/srv/a.qcow2", "vdev": "hdb", "format": "qcow2"},
    {"pdev_path": "/srv/w.iso", "vdev": "hdc", "format": "raw", "is_cdrom": 1}],
  "pcidevs": [{"func": 1, "bus": 65}, {"domain": 1, "bus": 3, "dev": 31, "func": 7}],
  "on_crash": "preserve"}}]`
	g, notes, err := Adoptable(t.Context(), xlOut(full), "win")
	if err != nil {
		t.Fatal(err)
	}
	pci := func(s string) PCIAddress { p, _ := ParsePCIAddress(s); return p }
	want := Guest{Name: "win", Enable: true, Kind: KindImage, Type: TypeHVM, UUID: "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f",
		Memory: 4096, VCPUs: 4, Firmware: FirmwareUEFI, BootOrder: []BootDevice{BootNetwork, BootDisk, BootCDROM},
		Disks:     []Disk{{Target: "/dev/disk/by-id/ata-X", VDev: "hda"}, {Target: "/srv/a.qcow2", VDev: "hdb", Format: FormatQCOW2, ReadOnly: true}, {Target: "/srv/w.iso", VDev: "hdc", CDROM: true}},
		NoNetwork: true, PCI: []PCIAddress{pci("0000:41:00.1"), pci("0001:03:1f.7")}, OnCrash: "preserve", Autostart: true, RestartIfChanged: true}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("Adoptable(win) =\n%+v\nwant\n%+v", g, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "extra_config") {
		t.Errorf("Adoptable(win) notes = %q, want one on what is not kept", notes)
	}
	for _, tc := range []struct {
		name, out, text string
	}{
		{"pv", `[{"config": {"c_info": {"type": "pv", "name": "d"}}}]`, "pv domain"},
		{"pvh", `[{"config": {"c_info": {"type": "pvh", "name": "d"}}}]`, "pvh domain"},
		{"hvm with a kernel", `[{"config": {"c_info": {"type": "hvm", "name": "d"}, "b_info": {"kernel": "/boot/vmlinuz"}}}]`, "kernel= or bootloader="},
		{"vhd disk", `[{"config": {"c_info": {"type": "hvm", "name": "d"}, "disks": [{"pdev_path": "/a.vhd", "format": "vhd"}]}}]`, "vhd format"},
		{"dom0", `[{"config": {"c_info": {"type": "pv", "name": "Domain-0"}}}]`, "no running domain"},
		{"absent", `[]`, "no running domain"},
	} {
		name := "d"
		if tc.name == "dom0" {
			name = "Domain-0"
		}
		_, _, err := Adoptable(t.Context(), xlOut(tc.out), name)
		if err == nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Adoptable = %v, want an error with %q", tc.name, err, tc.text)
		}
		if tc.text != "no running domain" && !errors.Is(err, ErrNotAdoptable) {
			t.Errorf("%s: Adoptable = %v, want ErrNotAdoptable", tc.name, err)
		}
	}
}

// TestAutoFiles finds the /etc/xen/auto files that create a domain by their name line, and
// moves one out of xendomains' way.
func TestAutoFiles(t *testing.T) {
	root := t.TempDir()
	auto := filepath.Join(root, AutoDir)
	os.MkdirAll(auto, 0o755)
	for f, body := range map[string]string{
		"win.cfg":   "name = \"win\"\n",
		"other.cfg": "name='win' # the same domain\n",
		"win2.cfg":  "name = \"win2\"\n",
		"note.txt":  "# name = \"win\"\n",
	} {
		os.WriteFile(filepath.Join(auto, f), []byte(body), 0o644)
	}
	got, err := AutoFiles(root, "win")
	if want := []string{"/etc/xen/auto/other.cfg", "/etc/xen/auto/win.cfg"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AutoFiles(win) = %q, %v; want %q", got, err, want)
	}
	if got, err := AutoFiles(t.TempDir(), "win"); err != nil || got != nil {
		t.Errorf("AutoFiles without /etc/xen/auto = %q, %v; want none", got, err)
	}
	dst, err := MoveAutoFile(root, "/etc/xen/auto/win.cfg")
	if err != nil || dst != "/var/lib/xennix/adopted/win.cfg" {
		t.Fatalf("MoveAutoFile = %q, %v", dst, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, dst)); err != nil || string(b) != "name = \"win\"\n" {
		t.Errorf("moved file = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(auto, "win.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("win.cfg still in /etc/xen/auto (%v)", err)
	}
}
