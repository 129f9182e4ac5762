package installer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/hwdetect"
)

// testModules stands in for assets/nixos in plan goldens, so that editing the host modules
// does not churn every plan golden; TestPlanWithRealModules uses the real ones.
var testModules = fstest.MapFS{
	"host.nix":       {Data: []byte("{ ... }: { imports = [ ./xen.nix ]; }\n")},
	"xen.nix":        {Data: []byte("{ ... }: { }\n")},
	"tests/shim.nix": {Data: []byte("{ }\n")},
	"OPTIONS.md":     {Data: []byte("doc\n")},
}

// testInputs are well-formed locked inputs, as the image would give.
var testInputs = Inputs{
	"nixpkgs":      {Type: "github", Owner: "NixOS", Repo: "nixpkgs", Rev: "0123456789abcdef0123456789abcdef01234567", NarHash: "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", LastModified: 1763000000, Path: "/nix/store/00000000000000000000000000000000-source"},
	"disko":        {Type: "github", Owner: "nix-community", Repo: "disko", Rev: "89abcdef0123456789abcdef0123456789abcdef", NarHash: "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=", LastModified: 1762000000, Path: "/nix/store/11111111111111111111111111111111-source"},
	"impermanence": {Type: "github", Owner: "nix-community", Repo: "impermanence", Rev: "fedcba9876543210fedcba9876543210fedcba98", NarHash: "sha256-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=", LastModified: 1761000000, Path: "/nix/store/22222222222222222222222222222222-source"},
	"xennix":       {Type: "github", Owner: "xennix", Repo: "xennix", Rev: "00112233445566778899aabbccddeeff00112233", NarHash: "sha256-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD=", LastModified: 1763500000, Path: "/nix/store/33333333333333333333333333333333-source"},
}

func disk(name, byID, model, serial, transport string, size Size, rotational bool) hwdetect.Disk {
	return hwdetect.Disk{Name: name, ByID: byID, ByIDLinks: []string{byID}, SizeBytes: uint64(size), Model: model, Serial: serial, Transport: transport, Rotational: rotational}
}

// fixtureMachine is a machine each example fits exactly: the disks its filter or ids pick,
// the NICs it names, a USB installer stick that must never be chosen.
func fixtureMachine(example string) hwdetect.Report {
	r := hwdetect.Report{
		Version:    1,
		Firmware:   hwdetect.Firmware{Mode: "uefi", PlatformBits: 64},
		CPU:        hwdetect.CPU{Vendor: "GenuineIntel", Model: "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", Sockets: 1, Cores: 16, Threads: 32, Virtualization: "vmx", SLAT: "ept"},
		IOMMU:      hwdetect.IOMMU{Active: true, Source: "sysfs", Kernel: []string{"dmar0"}, Groups: 40, ACPIDMAR: true},
		Hypervisor: hwdetect.HypervisorNone,
		Memory:     hwdetect.Memory{TotalBytes: uint64(64 * GiB), KernelBytes: uint64(64 * GiB)},
		NICs: []hwdetect.NIC{
			{Name: "eno1", MAC: "3c:ec:ef:12:34:56", PermanentMAC: "3c:ec:ef:12:34:56", Driver: "igb", Carrier: true, SpeedMbps: 1000, Duplex: "full"},
			{Name: "eno2", MAC: "3c:ec:ef:12:34:57", PermanentMAC: "3c:ec:ef:12:34:57", Driver: "igb"},
			{Name: "enp59s0f0", MAC: "b4:96:91:aa:bb:c0", PermanentMAC: "b4:96:91:aa:bb:c0", Driver: "ixgbe", Carrier: true, SpeedMbps: 10000, Duplex: "full"},
			{Name: "enp59s0f1", MAC: "b4:96:91:aa:bb:c1", PermanentMAC: "b4:96:91:aa:bb:c1", Driver: "ixgbe", Carrier: true, SpeedMbps: 10000, Duplex: "full"},
		},
		PCI: []hwdetect.PCIDevice{
			{Address: "0000:41:00.0", Class: "030000", ClassName: "VGA compatible controller", VendorID: "10de", DeviceID: "2204", Driver: "nouveau", IOMMUGroup: 20},
		},
	}
	usb := disk("sdz", "/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230405113031-0:0", "Ultra", "4C530001230405113031", "usb", 32*GiB, false)
	usb.Removable, usb.InstallerMedium, usb.Mounted = true, true, true
	usb.Partitions = []hwdetect.Partition{{Name: "sdz1", Number: 1, FSType: "iso9660", Label: "nixos-25.11-x86_64"}}
	nvme0 := disk("nvme0n1", "/dev/disk/by-id/nvme-eui.0025385b71b2c3d4", "Samsung SSD 990 PRO 1TB", "S6Z1NJ0W100001", "nvme", 931*GiB, false)
	nvme1 := disk("nvme1n1", "/dev/disk/by-id/nvme-eui.0025385b71b2c3d5", "Samsung SSD 990 PRO 1TB", "S6Z1NJ0W100002", "nvme", 931*GiB, false)
	switch example {
	case "uefi-ext4-dhcp":
		nvme0.PartitionTable = "gpt"
		nvme0.Partitions = []hwdetect.Partition{{Name: "nvme0n1p1", Number: 1, FSType: "ntfs", Label: "Windows"}}
		r.Disks = []hwdetect.Disk{nvme0, usb}
	case "bios-limine-static":
		r.Firmware = hwdetect.Firmware{Mode: "bios"}
		r.IOMMU = hwdetect.IOMMU{Source: "sysfs", Groups: 0}
		r.Disks = []hwdetect.Disk{disk("sda", "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_500GB_S62ANZ0R123456", "Samsung SSD 870 EVO 500GB", "S62ANZ0R123456", "sata", 465*GiB, false), usb}
	case "lvm-thinpool-bond-vlan", "guests-thinpool":
		if example == "guests-thinpool" {
			// The GPU's audio function, free for a second guest.
			r.PCI = append(r.PCI, hwdetect.PCIDevice{Address: "0000:41:00.1", Class: "040300", ClassName: "Audio device", VendorID: "10de", DeviceID: "1aef", Driver: "snd_hda_intel", IOMMUGroup: 20})
		}
		r.Disks = []hwdetect.Disk{
			disk("sda", "/dev/disk/by-id/ata-INTEL_SSDSC2KB480G8_PHYF000000AA480BGN", "INTEL SSDSC2KB480G8", "PHYF000000AA480BGN", "sata", 447*GiB, false),
			disk("sdb", "/dev/disk/by-id/ata-INTEL_SSDSC2KB960G8_PHYF000000BB960CGN", "INTEL SSDSC2KB960G8", "PHYF000000BB960CGN", "sata", 894*GiB, false),
			disk("sdc", "/dev/disk/by-id/ata-ST4000NM0035-1V4107_ZC1000AA", "ST4000NM0035-1V4107", "ZC1000AA", "sata", 3726*GiB, true),
			usb,
		}
	case "zfs-mirror-impermanence":
		r.Disks = []hwdetect.Disk{nvme0, nvme1, usb}
	case "btrfs-impermanence":
		r.Disks = []hwdetect.Disk{disk("sda", "/dev/disk/by-id/ata-Samsung_SSD_870_QVO_1TB_S5RRNF0R700001", "Samsung SSD 870 QVO 1TB", "S5RRNF0R700001", "sata", 931*GiB, false), usb}
	case "tmpfs-root":
		r.Disks = []hwdetect.Disk{
			disk("sda", "/dev/disk/by-id/ata-Micron_5300_MTFDDAK240TDS_2000000001", "Micron_5300_MTFDDAK240TDS", "2000000001", "sata", 223*GiB, false),
			disk("sdb", "/dev/disk/by-id/ata-Micron_5300_MTFDDAK480TDS_2000000002", "Micron_5300_MTFDDAK480TDS", "2000000002", "sata", 447*GiB, false),
			usb,
		}
	}
	return r
}

func exampleNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(assets.Examples, "examples/*.yaml")
	if err != nil || len(names) == 0 {
		// Without examples every test over them would pass having checked nothing.
		t.Fatalf("examples/*.yaml: %q, %v; want the examples", names, err)
	}
	var out []string
	for _, n := range names {
		out = append(out, strings.TrimSuffix(filepath.Base(n), ".yaml"))
	}
	return out
}

func examplePlan(t *testing.T, name string, o PlanOptions) (Answers, hwdetect.Report, Plan) {
	t.Helper()
	data, err := fs.ReadFile(assets.Examples, "examples/"+name+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := fixtureMachine(name)
	a, err := Parse(name+".yaml", data, Defaults(&r))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(a, r, o)
	if err != nil {
		t.Fatalf("newPlan(%s): %v", name, err)
	}
	return a, r, p
}

// TestPlanGolden compares, for every example, the plan transcript and the generated files with
// goldens under testdata/plans/<example>/ (the files of /etc/nixos with the example host in
// assets/nixos/examples/<example>/), renders twice for identical bytes, and parses every
// generated .nix file with nix-instantiate.
func TestPlanGolden(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			_, _, p := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			_, _, again := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			if p.Transcript() != again.Transcript() {
				t.Fatal("two plans from the same answers differ")
			}
			dir := filepath.Join("testdata", "plans", name)
			got := map[string][]byte{"transcript.txt": []byte(p.Transcript())}
			etc := TargetDir + "/etc/nixos/"
			for _, f := range p.Files() {
				if rel, ok := strings.CutPrefix(f.Path, etc); ok && exampleHostFiles(rel) {
					// The example host holds these files (TestExampleHostsAreInstallerOutput
					// keeps it): compare with it rather than with a second copy.
					if _, fromModules := testModules[strings.TrimPrefix(rel, "xennix/")]; fromModules {
						continue
					}
					want, err := os.ReadFile(filepath.Join(exampleHostsDir, name, rel))
					if err != nil || !bytes.Equal(f.Data, want) {
						t.Errorf("%s differs from the example host's (%v; go test ./installer -run ExampleHosts -update):\n%s", rel, err, f.Data)
					}
					continue
				}
				if _, fromModules := testModules[strings.TrimPrefix(f.Path, TargetDir+"/etc/nixos/xennix/")]; fromModules {
					continue
				}
				if f.Path == WorkDir+"/disko.nix" || f.Path == TargetDir+"/"+AppliedFile {
					continue // the same bytes as etc/nixos/disko.nix and answers.yaml (see the transcript's sha256)
				}
				got[strings.ReplaceAll(strings.TrimPrefix(f.Path, "/"), "/", "_")] = f.Data
			}
			if *update {
				os.RemoveAll(dir)
				os.MkdirAll(dir, 0o755)
				for n, b := range got {
					if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != len(got) {
				t.Errorf("golden dir has %d files, plan makes %d (run go test -update)", len(ents), len(got))
			}
			for n, b := range got {
				want, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Errorf("golden %s: %v (run go test -update)", n, err)
					continue
				}
				if !bytes.Equal(b, want) {
					t.Errorf("%s differs from its golden:\n%s", n, b)
				}
				if strings.HasSuffix(n, ".nix") {
					nixParse(t, filepath.Join(dir, n))
				}
			}
		})
	}
}

func nixInstantiate(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nix-instantiate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nix-instantiate is required in CI: %v", err)
		}
		t.Skipf("nix-instantiate not installed (apt-get install nix-bin): %v", err)
	}
	return p
}

func nixParse(t *testing.T, file string) {
	t.Helper()
	if out, err := exec.Command(nixInstantiate(t), "--parse", file).CombinedOutput(); err != nil {
		t.Errorf("nix-instantiate --parse %s: %v\n%s", file, err, out)
	}
}

// TestPlanSafety: a plan erases only the selected disks, never the installer medium, and the
// whole plan names no other disk anywhere.
func TestPlanSafety(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			_, r, p := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			selected := map[string]bool{}
			for _, d := range p.Host.Disks {
				selected[d.ByID] = true
				if d.InstallerMedium {
					t.Errorf("plan selects the installer medium %s", d.ByID)
				}
			}
			for _, id := range p.Destroys() {
				if !selected[id] {
					t.Errorf("plan erases %s, which is not selected", id)
				}
			}
			// A disk given to a guest is named in the guests' file and in the saved answers,
			// and nowhere else: the install itself never touches it.
			a, _, _ := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			guestDisk := map[string]bool{}
			for _, g := range a.Guests {
				for _, d := range g.Disks {
					guestDisk[d.Target] = true
				}
			}
			text, guestText := p.Transcript(), ""
			for _, f := range p.Files() {
				if strings.HasSuffix(f.Path, "/"+GuestsFile) || strings.HasSuffix(f.Path, "answers.yaml") {
					guestText += string(f.Data)
					continue
				}
				text += string(f.Data)
			}
			for _, d := range r.Disks {
				if !selected[d.ByID] && (strings.Contains(text, d.ByID) || strings.Contains(text, "/dev/"+d.Name+"\n")) {
					t.Errorf("plan mentions unselected disk %s (%s)", d.ByID, d.Name)
				}
				if !selected[d.ByID] && !guestDisk[d.ByID] && strings.Contains(guestText, d.ByID) {
					t.Errorf("plan's guests or answers mention %s (%s), which no guest has", d.ByID, d.Name)
				}
			}
		})
	}
}

// TestPlanFaults makes every command of every example plan fail in turn.
func TestPlanFaults(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			_, _, p := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			checkFaults(t, p)
		})
	}
}

func TestPlanRefusals(t *testing.T) {
	r := fixtureMachine("uefi-ext4-dhcp")
	data, _ := fs.ReadFile(assets.Examples, "examples/uefi-ext4-dhcp.yaml")
	a, err := Parse("a.yaml", data, Defaults(&r))
	if err != nil {
		t.Fatal(err)
	}
	// Naming the installer medium.
	b := a
	b.Disks = Disks{IDs: []string{"/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230405113031-0:0"}}
	if _, err := newPlan(b, r, PlanOptions{HostModules: testModules}); err == nil || !strings.Contains(err.Error(), "installer medium") {
		t.Errorf("newPlan(installer medium) = %v, want a refusal naming the installer medium", err)
	}
	// A filter that matches two disks.
	r2 := fixtureMachine("zfs-mirror-impermanence")
	if _, err := newPlan(a, r2, PlanOptions{HostModules: testModules}); err == nil || !strings.Contains(err.Error(), "matches 2 disk(s)") {
		t.Errorf("newPlan(ambiguous filter) = %v, want the candidates listed", err)
	}
	// No host modules.
	if _, err := newPlan(a, r, PlanOptions{HostModules: fstest.MapFS{}}); !errors.Is(err, ErrNoHostModules) {
		t.Errorf("newPlan(no modules) = %v, want ErrNoHostModules", err)
	}
}

// TestPreflight: headless without install.wipe refuses a disk with partitions; mounted disks
// and the installer medium are refused; interactive installs need the confirmation.
func TestPreflight(t *testing.T) {
	_, r, p := examplePlan(t, "uefi-ext4-dhcp", PlanOptions{Inputs: testInputs, HostModules: testModules})
	run := func(mod func(*Installer, *hwdetect.Report)) []string {
		rep := r
		rep.Disks = slices.Clone(r.Disks)
		in := &Installer{Plan: p, Report: r, Headless: true,
			Euid: func() int { return 0 }, Online: func(context.Context) error { return nil }}
		mod(in, &rep)
		in.Rescan = func() (hwdetect.Report, error) { return rep, nil }
		var hard []string
		for _, i := range in.Preflight(context.Background()) {
			if i.Hard {
				hard = append(hard, i.Msg)
			}
		}
		return hard
	}
	if got := run(func(*Installer, *hwdetect.Report) {}); len(got) != 0 {
		t.Errorf("preflight of a good install: %q", got)
	}
	cases := []struct {
		name string
		mod  func(*Installer, *hwdetect.Report)
		want string
	}{
		{"headless without wipe", func(in *Installer, _ *hwdetect.Report) { in.Plan.Host.Answers.Install.Wipe = false }, "only with install.wipe: true"},
		{"not root", func(in *Installer, _ *hwdetect.Report) { in.Euid = func() int { return 1000 } }, "must run as root"},
		{"disk mounted", func(_ *Installer, r *hwdetect.Report) { r.Disks[0].Mounted = true }, "is in use"},
		{"disk became the medium", func(_ *Installer, r *hwdetect.Report) { r.Disks[0].InstallerMedium = true }, "holds the running installer"},
		{"disk gone", func(_ *Installer, r *hwdetect.Report) { r.Disks = r.Disks[1:] }, "is gone"},
		{"interactive unconfirmed", func(in *Installer, _ *hwdetect.Report) { in.Headless = false }, "not confirmed"},
		{"secure boot on", func(_ *Installer, r *hwdetect.Report) { r.Firmware.SecureBoot = true }, "Secure Boot is on"},
		{"too little memory", func(_ *Installer, r *hwdetect.Report) { r.Memory.TotalBytes = uint64(GiB) }, "at least 1.5GiB"},
		{"booted by BIOS", func(_ *Installer, r *hwdetect.Report) { r.Firmware.Mode = "bios" }, "booted by BIOS"},
		{"passphrase missing", func(in *Installer, _ *hwdetect.Report) {
			in.Plan.Host.Answers.Storage.Encryption = Encryption{Enabled: true, PassphraseFile: "/nonexistent/key"}
		}, "passphrase file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run(tc.mod)
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("preflight = %q, want a hard issue containing %q", got, tc.want)
			}
		})
	}
	// Interactive with the confirmation given passes.
	got := run(func(in *Installer, _ *hwdetect.Report) {
		in.Headless = false
		in.Confirmed = p.Destroys()
	})
	if len(got) != 0 {
		t.Errorf("confirmed interactive install: %q", got)
	}
}

// TestExampleHardware keeps assets/examples/hardware/<example>.json — the machine each
// example fits, for `xennix install --dry-run --hardware` — equal to the test fixtures.
func TestExampleHardware(t *testing.T) {
	for _, name := range exampleNames(t) {
		b, err := json.MarshalIndent(fixtureMachine(name), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		file := filepath.Join("..", "assets", "examples", "hardware", name+".json")
		if *update {
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("%s is out of date with fixtureMachine (go test ./installer -run ExampleHardware -update): %v", file, err)
		}
		if _, err := hwdetect.Load(bytes.NewReader(want)); err != nil {
			t.Errorf("hwdetect.Load(%s): %v", file, err)
		}
	}
}

// TestLeafProblemsLandOnAnswersLines: a check only disko makes (mirror disks too different
// in size) is reported at the line of the answers key it is about.
func TestLeafProblemsLandOnAnswersLines(t *testing.T) {
	r := fixtureMachine("zfs-mirror-impermanence")
	r.Disks[1].SizeBytes = uint64(400 * GiB)
	data, _ := fs.ReadFile(assets.Examples, "examples/zfs-mirror-impermanence.yaml")
	_, err := ParseAndValidate("z.yaml", data, Defaults(&r), &r)
	var found *FieldError
	for _, p := range Problems(err) {
		if p.Field == "storage.mirror" {
			found = p
		}
	}
	if found == nil || found.Pos.Line != 18 || !strings.Contains(found.Error(), "differ by more than 10%") {
		t.Errorf("problems %v, want storage.mirror at line 18 from disko", Problems(err))
	}
}
