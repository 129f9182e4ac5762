package installer

import (
	"errors"
	"strings"
	"testing"

	"github.com/xennix/xennix/hwdetect"
)

// TestSelectDisksPickTies: pick largest or smallest among disks of the same size stops
// with the tied disks listed. Before, the one the report listed first was erased.
func TestSelectDisksPickTies(t *testing.T) {
	a1 := disk("sda", "/dev/disk/by-id/ata-A1", "A", "1", "sata", 931*GiB, false)
	a2 := disk("sdb", "/dev/disk/by-id/ata-A2", "A", "2", "sata", 931*GiB, false)
	a3 := disk("sdc", "/dev/disk/by-id/ata-A3", "A", "3", "sata", 931*GiB, false)
	big := disk("sdd", "/dev/disk/by-id/ata-BIG", "B", "4", "sata", 3726*GiB, true)
	small := disk("sde", "/dev/disk/by-id/ata-SMALL", "S", "5", "sata", 223*GiB, false)
	usb := disk("sdz", "/dev/disk/by-id/usb-STICK", "U", "9", "usb", 931*GiB, false)
	usb.InstallerMedium = true
	cases := []struct {
		name   string
		pick   Pick
		mirror bool
		disks  []hwdetect.Disk
		want   []string // ids chosen, or nil for an error
		tied   []string // in the error
		place  string
	}{
		{"largest of two equal", "largest", false, []hwdetect.Disk{a1, a2}, nil, []string{"ata-A1", "ata-A2"}, "the last place"},
		{"smallest of two equal", "smallest", false, []hwdetect.Disk{a1, a2}, nil, []string{"ata-A1", "ata-A2"}, "the last place"},
		{"largest is unique", "largest", false, []hwdetect.Disk{a1, big, a2}, []string{"/dev/disk/by-id/ata-BIG"}, nil, ""},
		{"smallest is unique", "smallest", false, []hwdetect.Disk{a1, small, a2}, []string{"/dev/disk/by-id/ata-SMALL"}, nil, ""},
		{"smallest ties above a larger", "smallest", false, []hwdetect.Disk{big, a1, a2}, nil, []string{"ata-A1", "ata-A2"}, "the last place"},
		{"mirror: two of three equal", "largest", true, []hwdetect.Disk{a1, a2, a3}, nil, []string{"ata-A1", "ata-A2", "ata-A3"}, "the last 2 places"},
		{"mirror: big then a tie", "largest", true, []hwdetect.Disk{a1, big, a2}, nil, []string{"ata-A1", "ata-A2"}, "the last place"},
		{"mirror: exactly two equal", "largest", true, []hwdetect.Disk{a1, a2, small}, []string{"/dev/disk/by-id/ata-A1", "/dev/disk/by-id/ata-A2"}, nil, ""},
		{"the installer medium never ties", "largest", false, []hwdetect.Disk{usb, a1}, []string{"/dev/disk/by-id/ata-A1"}, nil, ""},
		{"equal disks and exactly enough", "largest", false, []hwdetect.Disk{a1}, []string{"/dev/disk/by-id/ata-A1"}, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := Answers{Disks: Disks{Filter: &DiskFilter{Pick: tc.pick}}, Storage: Storage{Mirror: tc.mirror}}
			got, err := a.selectDisks(hwdetect.Report{Disks: tc.disks})
			if tc.want != nil {
				var ids []string
				for _, d := range got {
					ids = append(ids, d.ByID)
				}
				if err != nil || strings.Join(ids, " ") != strings.Join(tc.want, " ") {
					t.Errorf("SelectDisks = %v, %v; want %v", ids, err, tc.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrDiskSelection) {
				t.Fatalf("SelectDisks = %d disks, %v; want an ambiguous pick", len(got), err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "pick: "+string(tc.pick)+" is ambiguous") || !strings.Contains(msg, tc.place) {
				t.Errorf("SelectDisks error = %q, want pick %s ambiguous for %s", msg, tc.pick, tc.place)
			}
			_, tied, _ := strings.Cut(msg, "tied: ")
			for _, id := range tc.tied {
				if !strings.Contains(tied, id) {
					t.Errorf("SelectDisks error = %q, want %s among the tied", msg, id)
				}
			}
			if n := strings.Count(tied, "/dev/disk/by-id/"); n != len(tc.tied) {
				t.Errorf("SelectDisks error lists %d tied disks, want %d: %q", n, len(tc.tied), tied)
			}
		})
	}

	// validate with the hardware says so at the filter's line.
	file := "version: 1\nhost:\n  hostname: xen-01\ndisks:\n  filter:\n    pick: largest\nusers:\n  root:\n    hashed_password: \"!\"\n    ssh_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org\"]\n"
	r := fixtureMachine("zfs-mirror-impermanence") // two equal NVMe disks
	_, err := ParseAndValidate("answers.yaml", []byte(file), Defaults(&r), &r)
	var found bool
	for _, p := range Problems(err) {
		if p.Field == "disks.filter" && p.Pos.Line == 5 && strings.Contains(p.Err.Error(), "is ambiguous") {
			found = true
		}
	}
	if !found {
		t.Errorf("ParseAndValidate(pick largest, two equal disks) = %v; want disks.filter at line 5 ambiguous", err)
	}
}

// TestFilterNeverMatchesUnstableDisk: a disk without a /dev/disk/by-id name is never chosen
// by a filter, even when it is the only disk the filter fits; the error lists it.
func TestFilterNeverMatchesUnstableDisk(t *testing.T) {
	vda := hwdetect.Disk{Name: "vda", SizeBytes: uint64(64 * GiB), Transport: "virtio"}
	vdb := disk("vdb", "/dev/disk/by-id/virtio-data-disk-1", "", "data-disk-1", "virtio", 64*GiB, false)
	if (DiskFilter{}).Matches(vda) {
		t.Errorf("an empty filter matches %s, which has no stable id", vda.Name)
	}
	if !(DiskFilter{}).Matches(vdb) {
		t.Errorf("an empty filter does not match %s (%s)", vdb.Name, vdb.ByID)
	}
	a := Answers{Disks: Disks{Filter: &DiskFilter{}}}
	got, err := a.selectDisks(hwdetect.Report{Disks: []hwdetect.Disk{vda, vdb}})
	if err != nil || len(got) != 1 || got[0].Name != "vdb" {
		t.Errorf("SelectDisks(vda, vdb) = %v, %v; want vdb alone", got, err)
	}
	_, err = a.selectDisks(hwdetect.Report{Disks: []hwdetect.Disk{vda}})
	if !errors.Is(err, ErrDiskSelection) || !strings.Contains(err.Error(), "/dev/vda") {
		t.Errorf("SelectDisks(vda) = %v; want a disk selection error listing /dev/vda", err)
	}
}
