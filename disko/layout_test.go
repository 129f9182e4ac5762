package disko

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	idMain   = "/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A"
	idMirror = "/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R654321B"
	tb       = uint64(1000_000_000_000)
	keyFile  = "/tmp/xennix/luks.key"
)

// layoutCase is one golden layout: parts is the main disk's partitions in creation order
// as name:type (the mirror disk has the same), mounts every mount point it defines.
type layoutCase struct {
	name   string
	layout Layout
	parts  string
	mounts string
}

func one() []Disk { return []Disk{{ID: idMain, SizeBytes: tb}} }
func two() []Disk { return []Disk{{ID: idMain, SizeBytes: tb}, {ID: idMirror, SizeBytes: tb}} }

var enc = Encryption{Enabled: true, PassphraseFile: keyFile}

const swap4 = 4 * gib

var layoutCases = []layoutCase{
	// ext4
	{"ext4-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4},
		"ESP:EF00 root:8300", "/ /boot"},
	{"ext4-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetExt4},
		"bios:EF02 ESP:EF00 root:8300", "/ /boot"},
	{"ext4-uefi-limine", Layout{Disks: one(), Firmware: FirmwareUEFI, Loader: LoaderLimine, Preset: PresetExt4, ESPBytes: 512 * mib},
		"ESP:EF00 root:8300", "/ /boot"},
	{"ext4-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4, SwapBytes: swap4},
		"ESP:EF00 swap:8200 root:8300", "/ /boot"},
	{"ext4-uefi-luks-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4, SwapBytes: swap4, Encryption: enc},
		"ESP:EF00 swap:8200 root:8309", "/ /boot"},
	{"ext4-uefi-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetExt4, Mirror: true},
		"ESP:EF00 root:FD00", "/ /boot /boot-fallback"},
	{"ext4-bios-mirror-luks-swap", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetExt4, Mirror: true, Encryption: enc, SwapBytes: swap4},
		"bios:EF02 ESP:EF00 swap:FD00 root:FD00", "/ /boot /boot-fallback"},
	// lvm
	{"lvm-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetLVM},
		"ESP:EF00 pv:8E00", "/ /boot"},
	{"lvm-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetLVM, RootBytes: 32 * gib},
		"bios:EF02 ESP:EF00 pv:8E00", "/ /boot"},
	{"lvm-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetLVM, SwapBytes: swap4},
		"ESP:EF00 pv:8E00", "/ /boot"},
	{"lvm-uefi-luks", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetLVM, Encryption: enc},
		"ESP:EF00 pv:8309", "/ /boot"},
	{"lvm-uefi-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetLVM, Mirror: true},
		"ESP:EF00 pv:FD00", "/ /boot /boot-fallback"},
	{"lvm-uefi-directory", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetLVM, Guest: Guest{Kind: GuestDirectory, SizeBytes: 200 * gib}},
		"ESP:EF00 pv:8E00", "/ /boot /var/lib/xen/images"},
	{"lvm-bios-mirror-luks-swap", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetLVM, Mirror: true, Encryption: enc, SwapBytes: swap4},
		"bios:EF02 ESP:EF00 pv:FD00", "/ /boot /boot-fallback"},
	// btrfs
	{"btrfs-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Impermanence: ImpermanenceBtrfs},
		"ESP:EF00 root:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetBtrfs, Impermanence: ImpermanenceBtrfs},
		"bios:EF02 ESP:EF00 root:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, SwapBytes: swap4},
		"ESP:EF00 root:8300", "/ /boot /nix /persist /swap /var/lib/xen/images /var/log"},
	{"btrfs-uefi-luks", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Encryption: enc, Impermanence: ImpermanenceBtrfs},
		"ESP:EF00 root:8309", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-uefi-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Mirror: true, Impermanence: ImpermanenceBtrfs},
		"ESP:EF00 root:8300", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-bios-mirror", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetBtrfs, Mirror: true},
		"bios:EF02 ESP:EF00 root:8300", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-uefi-mirror-luks-swap", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Mirror: true, Encryption: enc, SwapBytes: swap4, Impermanence: ImpermanenceBtrfs},
		"ESP:EF00 swap:FD00 root:8309", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
	{"btrfs-uefi-noguest", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Guest: Guest{Kind: GuestNone}},
		"ESP:EF00 root:8300", "/ /boot /nix /persist /var/log"},
	// zfs
	{"zfs-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetZFS, Impermanence: ImpermanenceZFS},
		"ESP:EF00 zfs:BF00", "/ /boot /nix /persist /var/log"},
	{"zfs-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetZFS, Impermanence: ImpermanenceZFS, HostID: "8425e349"},
		"bios:EF02 ESP:EF00 zfs:BF00", "/ /boot /nix /persist /var/log"},
	{"zfs-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetZFS, SwapBytes: swap4},
		"ESP:EF00 swap:8200 zfs:BF00", "/ /boot /nix /persist /var/log"},
	{"zfs-uefi-encrypted-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetZFS, SwapBytes: swap4, Encryption: enc, Impermanence: ImpermanenceZFS},
		"ESP:EF00 swap:8200 zfs:BF00", "/ /boot /nix /persist /var/log"},
	{"zfs-uefi-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetZFS, Mirror: true, Impermanence: ImpermanenceZFS},
		"ESP:EF00 zfs:BF00", "/ /boot /boot-fallback /nix /persist /var/log"},
	{"zfs-bios-mirror-encrypted", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetZFS, Mirror: true, Encryption: enc},
		"bios:EF02 ESP:EF00 zfs:BF00", "/ /boot /boot-fallback /nix /persist /var/log"},
	{"zfs-uefi-directory", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetZFS, Guest: Guest{Kind: GuestDirectory, Path: "/srv/xen"}},
		"ESP:EF00 zfs:BF00", "/ /boot /nix /persist /srv/xen /var/log"},
	// tmpfs-root
	{"tmpfs-root-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot},
		"ESP:EF00 data:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetTmpfsRoot, TmpfsSize: "25%"},
		"bios:EF02 ESP:EF00 data:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot, SwapBytes: swap4},
		"ESP:EF00 swap:8200 data:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-uefi-ext4", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot, DataFS: "ext4"},
		"ESP:EF00 data:8300", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-bios-ext4", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetTmpfsRoot, DataFS: "ext4", Guest: Guest{Kind: GuestNone}},
		"bios:EF02 ESP:EF00 data:8300", "/ /boot /nix /persist /var/log"},
	{"tmpfs-root-uefi-luks", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot, Encryption: enc, SwapBytes: swap4},
		"ESP:EF00 swap:8200 data:8309", "/ /boot /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-uefi-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot, Mirror: true},
		"ESP:EF00 data:8300", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-bios-mirror", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetTmpfsRoot, Mirror: true},
		"bios:EF02 ESP:EF00 data:8300", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
	{"tmpfs-root-uefi-ext4-mirror", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetTmpfsRoot, Mirror: true, DataFS: "ext4"},
		"ESP:EF00 data:FD00", "/ /boot /boot-fallback /nix /persist /var/lib/xen/images /var/log"},
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".nix") }

func TestRenderGolden(t *testing.T) {
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.layout.Render()
			if err != nil {
				t.Fatalf("Render(%s) error: %v", tc.name, err)
			}
			again, err := tc.layout.Render()
			if err != nil || !bytes.Equal(got, again) {
				t.Fatalf("Render(%s) twice gave different bytes (err %v)", tc.name, err)
			}
			p := goldenPath(tc.name)
			if *update {
				if err := os.WriteFile(p, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("read golden (run go test ./disko -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render(%s) differs from %s; got:\n%s", tc.name, p, got)
			}
		})
	}
}

// TestGoldenFilesAreCases keeps testdata/ free of goldens that no case renders.
func TestGoldenFilesAreCases(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range layoutCases {
		if names[tc.name] {
			t.Errorf("case %s is listed twice", tc.name)
		}
		names[tc.name] = true
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.nix"))
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".nix"); !names[n] {
			t.Errorf("%s has no case in layoutCases", f)
		}
	}
}

// needNix returns the path of nix-instantiate, skipping the test without it, or failing it
// in CI (CI=true), where it must be present (DESIGN §7).
func needNix(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nix-instantiate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nix-instantiate is required in CI (Debian package nix-bin): %v", err)
		}
		t.Skipf("skipping: nix-instantiate not found (install Debian package nix-bin): %v", err)
	}
	return p
}

func TestGoldenParses(t *testing.T) {
	nix := needNix(t)
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(nix, "--parse", goldenPath(tc.name)).CombinedOutput()
			if err != nil {
				t.Errorf("nix-instantiate --parse %s: %v\n%s", goldenPath(tc.name), err, out)
			}
		})
	}
}

// evalGolden evaluates a golden with nix-instantiate: disko.nix is a plain attribute set, so
// its value is the layout as data.
func evalGolden(t *testing.T, nix, name string) map[string]any {
	t.Helper()
	cmd := exec.Command(nix, "--eval", "--strict", "--json", goldenPath(name))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate --eval %s: %v\n%s", goldenPath(name), err, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("decode eval of %s: %v", name, err)
	}
	return v
}

// get follows a path of keys through decoded JSON, failing the test when one is missing.
func get(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %q: not an attribute set (path %v)", k, path)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("missing attribute %q (path %v)", k, path)
		}
	}
	return v
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}

// partitionOrder is the creation order disko gives the partitions (ascending priority,
// defaults from disko lib/types/gpt.nix: 9001 for size 100%, 100 for EF02, else 1000;
// ties in name order), as name:type.
func partitionOrder(parts map[string]any) []string {
	type p struct {
		name, typ string
		prio      float64
	}
	var ps []p
	for name, v := range parts {
		m := v.(map[string]any)
		typ, _ := m["type"].(string)
		if typ == "" {
			typ = "8300"
		}
		prio, ok := m["priority"].(float64)
		if !ok {
			switch {
			case m["size"] == "100%":
				prio = 9001
			case typ == "EF02":
				prio = 100
			default:
				prio = 1000
			}
		}
		ps = append(ps, p{name, typ, prio})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].prio != ps[j].prio {
			return ps[i].prio < ps[j].prio
		}
		return ps[i].name < ps[j].name
	})
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name + ":" + p.typ
	}
	return out
}

// mountPoints collects every mountpoint in the device tree (nodev entries are keyed by it).
func mountPoints(devices map[string]any) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			// zfs options.mountpoint (none, legacy) is a property, not a mount point.
			if mp, ok := x["mountpoint"].(string); ok && strings.HasPrefix(mp, "/") {
				seen[mp] = true
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(devices)
	if nodev, ok := devices["nodev"].(map[string]any); ok {
		for mp := range nodev {
			seen[mp] = true
		}
	}
	out := make([]string, 0, len(seen))
	for mp := range seen {
		out = append(out, mp)
	}
	sort.Strings(out)
	return out
}

func TestGoldenStructure(t *testing.T) {
	nix := needNix(t)
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			v := evalGolden(t, nix, tc.name)
			devices := get(t, v, "disko", "devices").(map[string]any)
			disks := get(t, devices, "disk").(map[string]any)
			if len(disks) != len(tc.layout.Disks) {
				t.Fatalf("%d disks, want %d", len(disks), len(tc.layout.Disks))
			}
			for i, d := range tc.layout.Disks {
				name := diskName(i)
				if got := get(t, disks, name, "device"); got != d.ID {
					t.Errorf("disk %s device = %v, want %s", name, got, d.ID)
				}
				parts := get(t, disks, name, "content", "partitions").(map[string]any)
				if got, want := partitionOrder(parts), strings.Fields(tc.parts); !reflect.DeepEqual(got, want) {
					t.Errorf("disk %s partitions = %v, want %v", name, got, want)
				}
				for pname := range parts {
					if label := "disk-" + name + "-" + pname; len(label) > 36 {
						t.Errorf("partition label %s is longer than disko's 36 characters", label)
					}
				}
				esp := get(t, parts, "ESP", "content").(map[string]any)
				if esp["format"] != "vfat" || !contains(strs(esp["mountOptions"]), "umask=0077") {
					t.Errorf("disk %s ESP content = %v, want vfat with umask=0077", name, esp)
				}
				wantESP := "/boot"
				if i == 1 {
					wantESP = "/boot-fallback"
				}
				if esp["mountpoint"] != wantESP {
					t.Errorf("disk %s ESP mountpoint = %v, want %s", name, esp["mountpoint"], wantESP)
				}
			}
			if got, want := mountPoints(devices), strings.Fields(tc.mounts); !reflect.DeepEqual(got, want) {
				t.Errorf("mount points = %v, want %v", got, want)
			}
			checkPreset(t, tc.layout.withDefaults(), devices)
		})
	}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// checkPreset asserts the preset-specific parts of an evaluated layout.
func checkPreset(t *testing.T, l Layout, devices map[string]any) {
	t.Helper()
	// Every LUKS device reads the passphrase file at install time and allows discards.
	var luks []map[string]any
	var walk func(v any)
	walk = func(v any) {
		if m, ok := v.(map[string]any); ok {
			if m["type"] == "luks" {
				luks = append(luks, m)
			}
			for _, c := range m {
				walk(c)
			}
		}
	}
	walk(devices)
	wantLUKS := 0
	if l.luks() {
		wantLUKS = 1
		if l.btrfsRAID() {
			wantLUKS = 2
		}
	}
	if len(luks) != wantLUKS {
		t.Errorf("%d LUKS devices, want %d", len(luks), wantLUKS)
	}
	for _, m := range luks {
		if m["passwordFile"] != keyFile || get(t, m, "settings", "allowDiscards") != true {
			t.Errorf("LUKS %v: want passwordFile %s and settings.allowDiscards", m["name"], keyFile)
		}
		if _, ok := m["askPassword"]; ok {
			t.Errorf("LUKS %v sets askPassword", m["name"])
		}
	}
	if l.Mirror && l.swapPartition() {
		if get(t, devices, "mdadm", "swap", "content", "type") != "swap" {
			t.Errorf("mirror swap is not a swap md array")
		}
	}
	switch l.Preset {
	case PresetLVM:
		lvs := get(t, devices, "lvm_vg", VG, "lvs").(map[string]any)
		rootPrio := get(t, lvs, "root", "priority").(float64)
		for name, lv := range lvs {
			if name != "root" && get(t, lv, "priority").(float64) <= rootPrio {
				t.Errorf("LV %s is created before root (disko lib/types/lvm_vg.nix orders by priority)", name)
			}
		}
		if l.Guest.Kind == GuestThinPool && get(t, lvs, ThinPool, "lvm_type") != "thin-pool" {
			t.Errorf("no thin pool LV")
		}
		if l.useMD() {
			if get(t, devices, "mdadm", "pv", "level") != float64(1) {
				t.Errorf("md pv array is not RAID1")
			}
		}
	case PresetZFS:
		pool := get(t, devices, "zpool", Pool).(map[string]any)
		if get(t, pool, "options", "ashift") != "12" {
			t.Errorf("ashift is not 12")
		}
		fs := get(t, pool, "rootFsOptions").(map[string]any)
		for k, want := range map[string]string{"compression": "zstd", "acltype": "posixacl", "xattr": "sa", "mountpoint": "none"} {
			if fs[k] != want {
				t.Errorf("rootFsOptions.%s = %v, want %s", k, fs[k], want)
			}
		}
		if l.Mirror != (pool["mode"] == "mirror") {
			t.Errorf("pool mode = %v with mirror %v", pool["mode"], l.Mirror)
		}
		if l.Encryption.Enabled {
			if fs["keylocation"] != "file://"+keyFile || fs["encryption"] != "aes-256-gcm" {
				t.Errorf("rootFsOptions encryption = %v / %v", fs["encryption"], fs["keylocation"])
			}
			if !strings.Contains(get(t, pool, "postCreateHook").(string), "zfs set keylocation=prompt rpool") {
				t.Errorf("no keylocation=prompt hook")
			}
		}
		root := get(t, pool, "datasets", "local/root").(map[string]any)
		if root["mountpoint"] != "/" || !strings.Contains(root["postCreateHook"].(string), "zfs snapshot rpool/local/root@blank") {
			t.Errorf("local/root = %v, want / with a blank snapshot hook", root)
		}
	case PresetBtrfs:
		var b map[string]any
		var find func(v any)
		find = func(v any) {
			if m, ok := v.(map[string]any); ok {
				if m["type"] == "btrfs" {
					b = m
				}
				for _, c := range m {
					find(c)
				}
			}
		}
		find(devices)
		if b == nil {
			t.Fatal("no btrfs filesystem")
		}
		if got := get(t, b, "subvolumes", "@root", "mountOptions"); !reflect.DeepEqual(strs(got), btrfsOpts) {
			t.Errorf("@root mount options = %v", got)
		}
		hook := get(t, b, "postCreateHook").(string)
		if !strings.Contains(hook, `btrfs subvolume snapshot -r "$MNTPOINT/@root" "$MNTPOINT/@root-blank"`) {
			t.Errorf("postCreateHook does not snapshot @root-blank:\n%s", hook)
		}
		if l.Mirror && !reflect.DeepEqual(strs(b["extraArgs"])[:4], []string{"-d", "raid1", "-m", "raid1"}) {
			t.Errorf("btrfs mirror extraArgs = %v, want raid1 data and metadata", b["extraArgs"])
		}
	case PresetTmpfsRoot:
		opts := strs(get(t, devices, "nodev", "/", "mountOptions"))
		if !contains(opts, "mode=755") || !contains(opts, "size="+l.TmpfsSize) {
			t.Errorf("tmpfs / options = %v", opts)
		}
	}
}

func TestImplied(t *testing.T) {
	cases := []struct {
		name   string
		layout Layout
		want   Implied
	}{
		{"ext4-uefi-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4, SwapBytes: swap4}, Implied{
			Guest:          GuestStorage{Kind: GuestDirectory, Location: DefaultGuestPath},
			ESPMountPoints: []string{"/boot"},
		}},
		{"btrfs-bios-mirror", Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetBtrfs, Mirror: true, Impermanence: ImpermanenceBtrfs, Encryption: enc}, Implied{
			NeededForBoot: []string{"/persist", "/var/log"},
			Rollback:      Rollback{Kind: "btrfs", Device: "/dev/mapper/crypted-mirror", Subvolume: "@root", Blank: "@root-blank"},
			LUKS: []LUKSDevice{
				{Name: "crypted-main", Device: "/dev/disk/by-partlabel/disk-main-root", AllowDiscards: true, SetByDisko: true},
				{Name: "crypted-mirror", Device: "/dev/disk/by-partlabel/disk-mirror-root", AllowDiscards: true, SetByDisko: true},
			},
			Guest:          GuestStorage{Kind: GuestDirectory, Location: DefaultGuestPath, NoCoW: true},
			Limine:         &LimineBIOS{BIOSDevice: idMain, PartitionIndex: 1, MirrorDevice: idMirror},
			ESPMountPoints: []string{"/boot", "/boot-fallback"},
		}},
		{"btrfs-uefi", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetBtrfs, Impermanence: ImpermanenceBtrfs}, Implied{
			NeededForBoot:  []string{"/persist", "/var/log"},
			Rollback:       Rollback{Kind: "btrfs", Device: "/dev/disk/by-partlabel/disk-main-root", Subvolume: "@root", Blank: "@root-blank"},
			Guest:          GuestStorage{Kind: GuestDirectory, Location: DefaultGuestPath, NoCoW: true},
			ESPMountPoints: []string{"/boot"},
		}},
		{"zfs-uefi-encrypted-swap", Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetZFS, SwapBytes: swap4, Encryption: enc, Impermanence: ImpermanenceZFS}, Implied{
			NeededForBoot:  []string{"/persist", "/var/log"},
			Rollback:       Rollback{Kind: "zfs", Dataset: "rpool/local/root", Snapshot: "blank", After: "zfs-import-rpool.service"},
			HostID:         HostID(idMain),
			RandomSwap:     true,
			ZFS:            true,
			Pools:          []string{"rpool"},
			Guest:          GuestStorage{Kind: GuestZvol, Location: "rpool/guests"},
			ESPMountPoints: []string{"/boot"},
		}},
		{"lvm-uefi-mirror-luks", Layout{Disks: two(), Firmware: FirmwareUEFI, Preset: PresetLVM, Mirror: true, Encryption: enc}, Implied{
			SwRaid:         true,
			LUKS:           []LUKSDevice{{Name: "crypted", Device: "/dev/md/pv", AllowDiscards: true, SetByDisko: true}},
			LVM:            true,
			LVMThin:        true,
			Guest:          GuestStorage{Kind: GuestThinPool, Location: "vg0/thinpool"},
			ESPMountPoints: []string{"/boot", "/boot-fallback"},
		}},
		{"tmpfs-root-bios", Layout{Disks: one(), Firmware: FirmwareBIOS, Preset: PresetTmpfsRoot, Guest: Guest{Kind: GuestNone}}, Implied{
			NeededForBoot:  []string{"/persist", "/var/log"},
			Guest:          GuestStorage{Kind: GuestNone},
			Limine:         &LimineBIOS{BIOSDevice: idMain, PartitionIndex: 1},
			ESPMountPoints: []string{"/boot"},
			TmpfsRoot:      true,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.layout.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got := tc.layout.Implied(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Implied(%s) =\n%+v\nwant\n%+v", tc.name, got, tc.want)
			}
		})
	}
}

// TestLimineIndexMatchesLayout checks Implied's partitionIndex against the partition order
// disko would create, for every BIOS golden.
func TestLimineIndexMatchesLayout(t *testing.T) {
	for _, tc := range layoutCases {
		if tc.layout.Firmware != FirmwareBIOS {
			continue
		}
		im := tc.layout.Implied()
		if im.Limine == nil {
			t.Fatalf("%s: no Limine settings for BIOS", tc.name)
		}
		parts := strings.Fields(tc.parts)
		if got := parts[im.Limine.PartitionIndex-1]; got != "bios:EF02" {
			t.Errorf("%s: partition %d is %s, want the EF02 partition", tc.name, im.Limine.PartitionIndex, got)
		}
	}
}

func TestSummary(t *testing.T) {
	cases := []struct {
		layout Layout
		want   string
	}{
		{Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4, SwapBytes: 8 * gib, Guest: Guest{Kind: GuestNone}},
			"ext4 on 1 disk (UEFI, 1 GiB ESP), 8 GiB swap"},
		{Layout{Disks: two(), Firmware: FirmwareBIOS, Preset: PresetZFS, Mirror: true, Encryption: enc, Impermanence: ImpermanenceZFS},
			"zfs mirror on 2 disks (BIOS, Limine, 1 GiB /boot), ZFS native encryption, impermanence zfs, guests as zvols under rpool/guests"},
		{Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetLVM, ESPBytes: 512 * mib},
			"lvm on 1 disk (UEFI, 512 MiB ESP), guests in thin pool vg0/thinpool"},
		{Layout{Disks: one(), Firmware: FirmwareUEFI, Loader: LoaderLimine, Preset: PresetTmpfsRoot, DataFS: "ext4"},
			"tmpfs-root (ext4 data) on 1 disk (UEFI, Limine, 1 GiB ESP), impermanence tmpfs, guests in /var/lib/xen/images"},
	}
	for _, tc := range cases {
		if got := tc.layout.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}

func TestHostID(t *testing.T) {
	a, b := HostID("machine-a"), HostID("machine-a")
	if a != b || !hostIDRE.MatchString(a) {
		t.Errorf("HostID(machine-a) = %q then %q, want the same 8 hex digits", a, b)
	}
	if HostID("machine-b") == a {
		t.Errorf("HostID gives the same id for different seeds")
	}
}

func TestDiskoSize(t *testing.T) {
	for b, want := range map[uint64]string{gib: "1G", 512 * mib: "512M", 64 * gib: "64G", 1536 * mib: "1536M", gib + 1000: "1G"} {
		if got := diskoSize(b); got != want {
			t.Errorf("diskoSize(%d) = %q, want %q", b, got, want)
		}
	}
}
