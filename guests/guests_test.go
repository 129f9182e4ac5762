package guests

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePCIAddress(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"0000:03:00.0", "0000:03:00.0", ""},
		{"03:00.0", "0000:03:00.0", ""},
		{"0001:3B:1f.7", "0001:3b:1f.7", ""},
		{"03:20.0", "", "above 1f"},
		{"03:00.8", "", "not a PCI address"},
		{"3:00.0", "", "not a PCI address"},
		{"0000:03:00.0,seize=1", "", "not a PCI address"},
		{"", "", "not a PCI address"},
	} {
		got, err := ParsePCIAddress(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParsePCIAddress(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got.String() != tc.want):
			t.Errorf("ParsePCIAddress(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestParseMAC(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"00:16:3e:4D:65:64", "00:16:3e:4d:65:64", ""},
		{"01:16:3e:00:00:01", "", "multicast"},
		{"00:16:3e:00:00", "", "not a MAC address"},
		{"0016.3e00.0001", "", "not a MAC address"},
		{"00:16:3e:00:00:01:02:03", "", "not a MAC address"},
		{"00:16:3e:00:00:01,script=/tmp/x", "", "not a MAC address"},
	} {
		got, err := ParseMAC(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseMAC(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got.String() != tc.want):
			t.Errorf("ParseMAC(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	var k Kind
	if err := k.UnmarshalText([]byte("windows")); err == nil || !strings.Contains(err.Error(), `"windows" is not one of nixos, iso, image`) {
		t.Errorf("Kind.UnmarshalText(windows) = %v", err)
	}
}

func TestParseXLList(t *testing.T) {
	doms, err := parseXLList([]byte("Name                                        ID   Mem VCPUs\tState\tTime(s)\nDomain-0                                     0  1024     1     r-----      10.4\nweb                                          1   512     2     -b----       1.2\nold                                          2   256     1     --p---       0.1\ngone                                         3   256     1     ---sc-       0.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Domain{
		"Domain-0": {ID: 0, Name: "Domain-0", MemoryMiB: 1024, VCPUs: 1, State: "running"},
		"web":      {ID: 1, Name: "web", MemoryMiB: 512, VCPUs: 2, State: "running"},
		"old":      {ID: 2, Name: "old", MemoryMiB: 256, VCPUs: 1, State: "paused"},
		"gone":     {ID: 3, Name: "gone", MemoryMiB: 256, VCPUs: 1, State: "crashed"},
	}
	for n, w := range want {
		if g := doms[n]; g.ID != w.ID || g.MemoryMiB != w.MemoryMiB || g.VCPUs != w.VCPUs || g.State != w.State {
			t.Errorf("parseXLList: %s = %+v, want %+v", n, g, w)
		}
	}
	for _, bad := range []string{"", "garbage\n", "Name ID Mem VCPUs State Time(s)\nweb x 512 2 -b---- 1.2\n", "Name ID\nweb 1\n"} {
		if _, err := parseXLList([]byte(bad)); err == nil {
			t.Errorf("parseXLList(%q) = nil error", bad)
		}
	}
}

func entry(cfg string, restart, autostart bool) Entry {
	return Entry{ConfigFile: cfg, RestartIfChanged: restart, Autostart: autostart}
}

func TestDiff(t *testing.T) {
	cur := Manifest{Version: 1, Guests: map[string]Entry{
		"same": entry("/a", true, true), "changed": entry("/b", true, true), "stale": entry("/c", false, true),
		"removed": entry("/d", true, true), "removed-off": entry("/e", true, true), "changed-off": entry("/f", true, true),
	}}
	next := Manifest{Version: 1, Guests: map[string]Entry{
		"same": entry("/a", true, true), "changed": entry("/b2", true, true), "stale": entry("/c2", false, true),
		"changed-off": entry("/f2", true, true), "new": entry("/g", true, true), "new-manual": entry("/h", true, false),
	}}
	running := map[string]bool{"same": true, "changed": true, "stale": true, "removed": true}
	var got []string
	for _, c := range Diff(cur, next, running) {
		got = append(got, c.Name+" "+c.What)
	}
	want := []string{"changed restart", "removed stop", "stale stale", "new start"}
	if !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

func TestPurgeArgv(t *testing.T) {
	vol := "var"
	for _, tc := range []struct {
		d    ManifestDisk
		want string
	}{
		{ManifestDisk{Target: "/var/lib/xen/images/web-var.img", Volume: &vol, Role: "disk"}, "rm -f -- /var/lib/xen/images/web-var.img"},
		{ManifestDisk{Target: "/dev/vg0/xennix-web-var", Volume: &vol, Role: "disk"}, "lvremove -y vg0/xennix-web-var"},
		{ManifestDisk{Target: "/dev/zvol/rpool/guests/web-var", Volume: &vol, Role: "disk"}, "zfs destroy rpool/guests/web-var"},
		{ManifestDisk{Target: "/dev/disk/by-id/ata-X", Role: "disk"}, ""},
		{ManifestDisk{Target: "/nix/store/x-store.erofs", Role: "store"}, ""},
		{ManifestDisk{Target: "/var/lib/xen/iso/a.iso", Role: "iso"}, ""},
	} {
		argv, ok := PurgeArgv(tc.d)
		if got := strings.Join(argv, " "); got != tc.want || ok != (tc.want != "") {
			t.Errorf("PurgeArgv(%s) = %q, %v; want %q", tc.d.Target, got, ok, tc.want)
		}
	}
}

func TestParseManifest(t *testing.T) {
	if _, err := ParseManifest([]byte(`{"version": 2, "guests": {}}`)); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("ParseManifest(version 2) = %v", err)
	}
	if _, err := ParseManifest([]byte(`{`)); err == nil {
		t.Error("ParseManifest({) = nil error")
	}
	m, err := ReadManifest(t.TempDir())
	if err != nil || len(m.Guests) != 0 {
		t.Errorf("ReadManifest(no manifest) = %v, %v; want an empty manifest", m, err)
	}
}

// TestParseXLWarnings: libxl's warnings on stderr, which the runner's combined output
// holds, may come before the table and the JSON.
func TestParseXLWarnings(t *testing.T) {
	doms, err := parseXLList([]byte("libxl: warning: something odd\nName ID Mem VCPUs State Time(s)\nweb 1 512 2 -b---- 1.2\n"))
	if err != nil || doms["web"].ID != 1 {
		t.Fatalf("parseXLList with a warning = %v, %v", doms, err)
	}
	if err := addXLLong(doms, []byte("libxl: warning: something odd\n[\n{\"domid\": 1, \"config\": {\"c_info\": {\"name\": \"web\", \"uuid\": \"u\"}}}\n]\n")); err != nil || doms["web"].UUID != "u" {
		t.Fatalf("addXLLong with a warning = %v, %v", doms["web"], err)
	}
}
