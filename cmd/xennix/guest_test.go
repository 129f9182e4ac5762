package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/installer"
)

var update = flag.Bool("update", false, "rewrite golden files")

// nextToplevel is the store path the recorded `nix build` of `xennix guest diff` prints.
const nextToplevel = "/nix/store/11111111111111111111111111111111-nixos-system-lab-01"

// recorder is the guest commands' runner in tests: it records every argv and answers xl,
// systemctl, ip and nix from the fixtures in testdata/guests; fail makes the commands
// whose argv starts with it fail.
type recorder struct {
	calls []string
	fail  string
}

func (r *recorder) Run(_ context.Context, argv []string) ([]byte, error) {
	line := strings.Join(argv, " ")
	r.calls = append(r.calls, line)
	if r.fail != "" && strings.HasPrefix(line, r.fail) {
		return []byte("simulated failure\n"), &installer.CommandError{Argv: argv, ExitCode: 1, Output: []byte("simulated failure\n")}
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "guests", name))
		if err != nil {
			panic(err)
		}
		return b
	}
	switch {
	case line == "xl list":
		return read("xl-list.txt"), nil
	case line == "xl list -l":
		return read("xl-list-l.json"), nil
	case strings.HasPrefix(line, "systemctl show "):
		return read("systemctl-show.txt"), nil
	case line == "ip neigh show dev xenbr0":
		return []byte("192.0.2.1 lladdr 3c:ec:ef:00:00:01 REACHABLE\nfe80::216:3eff:fe4d:6564 lladdr 00:16:3e:4d:65:64 STALE\n192.0.2.77 lladdr 00:16:3e:4d:65:64 REACHABLE\n"), nil
	case strings.HasPrefix(line, "nix build "):
		return []byte(nextToplevel + "\n"), nil
	}
	return nil, nil
}

// guestHost installs the guests example (a dry run's tree) and gives it the running
// system's state: the manifest of its guests plus one declared in the user's Nix (legacy),
// web booted on its current cfg and media on an older one, and for diff the manifest of the
// next build.
func guestHost(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	args := []string{"xennix", "install", "--dry-run", "--out", dir, "--answers", "../../assets/examples/guests-thinpool.yaml", "--hardware", "../../assets/examples/hardware/guests-thinpool.json"}
	if code := run(context.Background(), args, strings.NewReader(""), &out, &out); code != 0 {
		t.Fatalf("install --dry-run: %d\n%s", code, out.String())
	}
	root := filepath.Join(dir, "mnt")
	m, err := os.ReadFile("testdata/guests/guests.json")
	if err != nil {
		t.Fatal(err)
	}
	write := func(p string, b []byte) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/xen/xennix/guests.json", m)
	write("etc/xen/xennix/web.cfg", []byte("name = \"web\"\ntype = \"pvh\"\nmemory = 2048\n"))
	// win, unmanaged, is started by xendomains; handmade was created by hand.
	write("etc/xen/auto/win.cfg", []byte("# Windows\nname = \"win\"\ntype = \"hvm\"\nmemory = 2048\n"))
	link("run/xennix/guests/web.booted.cfg", "/nix/store/00000000000000000000000000000000-xl-web.cfg")
	link("run/xennix/guests/media.booted.cfg", "/nix/store/22222222222222222222222222222222-xl-media.cfg")
	// The next build: web and media changed, debian removed, db added.
	var next map[string]any
	json.Unmarshal(m, &next)
	gs := next["guests"].(map[string]any)
	gs["web"].(map[string]any)["configFile"] = "/nix/store/33333333333333333333333333333333-xl-web.cfg"
	gs["media"].(map[string]any)["configFile"] = "/nix/store/44444444444444444444444444444444-xl-media.cfg"
	delete(gs, "debian")
	db := map[string]any{}
	for k, v := range gs["web"].(map[string]any) {
		db[k] = v
	}
	db["unit"] = "xen-guest-db.service"
	gs["db"] = db
	b, _ := json.Marshal(next)
	write(nextToplevel+"/etc/xen/xennix/guests.json", b)
	return root
}

// TestGuestCommands runs each `xennix guest` subcommand against the example host with a
// recording runner, and compares what it printed and ran with testdata/guests/<case>.txt.
func TestGuestCommands(t *testing.T) {
	cases := []struct {
		name string
		args string
		fail string
	}{
		{"list", "list", ""},
		{"list-json", "list --json", ""},
		{"list-xl-fails", "list", "xl list"},
		{"show-tool", "show web", ""},
		{"show-declared", "show legacy", ""},
		{"show-unknown", "show nosuch", ""},
		{"start", "start debian", ""},
		{"start-fails", "start debian", "systemctl start"},
		{"stop", "stop web", ""},
		{"stop-declared", "stop legacy", ""},
		{"stop-unmanaged", "stop handmade", ""},
		{"stop-unknown", "stop nosuch", ""},
		{"restart", "restart web", ""},
		{"reboot", "reboot web", ""},
		{"shutdown", "shutdown web", ""},
		{"shutdown-unmanaged", "shutdown handmade", ""},
		{"apply", "apply", ""},
		{"apply-named-current", "apply web", ""},
		{"console", "console web", ""},
		{"console-serial-unmanaged", "console handmade --serial", ""},
		{"ssh-static", "ssh web -- uptime", ""},
		{"ssh-neighbour", "ssh media", ""},
		{"ssh-unmanaged", "ssh handmade", ""},
		{"diff", "diff", ""},
		{"diff-build-fails", "diff", "nix build"},
		{"add", "add db --memory 2GiB --vcpus 2 --volume data:10GiB --ipv4 192.0.2.30/24 --gateway 192.0.2.1", ""},
		{"add-dry-run", "add db --memory 2GiB --dry-run", ""},
		{"add-from", "add db --from testdata/guests/db.yaml", ""},
		{"add-bad", "add db --memory 1MiB --pci 0000:99:00.0 --volume data", ""},
		// A name that is itself the problem is not used to name the problems.
		{"add-long-name", "add " + strings.Repeat("a", 300) + " --dry-run", ""},
		{"add-declared", "add legacy", ""},
		{"add-existing", "add web", ""},
		{"add-rebuild-fails", "add db", "nixos-rebuild"},
		{"set", "set web memory=4GiB network[0].ipv4.address=192.0.2.21/24", ""},
		{"set-pci-after-reboot", "set debian pci=[0000:41:00.1]", ""},
		{"set-bad", "set web colour=red vcpus=many", ""},
		{"set-declared", "set legacy memory=1GiB", ""},
		{"set-extra-config", "set media extra_config.viridian=[defaults] extra_config.videoram=", ""},
		{"set-extra-config-bad", "set media extra_config.uuid=x extra_config.Vga=1 extra_config.vga=-1", ""},
		{"rm", "rm debian", ""},
		{"rm-purge", "rm debian --purge-disks", ""},
		{"rm-purge-existing-disk", "rm media --purge-disks", ""},
		{"rm-declared", "rm legacy", ""},
		{"adopt", "adopt win", ""},
		{"adopt-dry-run", "adopt win --dry-run", ""},
		{"adopt-pv", "adopt handmade", ""},
		{"adopt-managed", "adopt web", ""},
		{"adopt-declared", "adopt legacy", ""},
		{"adopt-not-running", "adopt nosuch", ""},
		{"adopt-rebuild-fails", "adopt win", "nixos-rebuild"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := guestHost(t)
			rec := &recorder{fail: tc.fail}
			old := guestRunner
			guestRunner = func(*cobra.Command, string, bool) installer.Runner { return rec }
			defer func() { guestRunner = old }()
			args := append([]string{"xennix", "guest", "--root", root, "--hardware", "../../assets/examples/hardware/guests-thinpool.json"}, strings.Fields(tc.args)...)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			got := fmt.Sprintf("$ xennix guest %s\n%s%s[exit %d]\n--- ran:\n", tc.args, stdout.String(), stderr.String(), code)
			for _, c := range rec.calls {
				got += c + "\n"
			}
			got = strings.ReplaceAll(got, root, "$ROOT")
			golden := filepath.Join("testdata", "guests", tc.name+".txt")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil || string(want) != got {
				t.Errorf("transcript differs from %s (%v); go test ./cmd/xennix -run GuestCommands -update:\n%s", golden, err, got)
			}
		})
	}
}

// TestGuestFilesAfterAdd: add writes the answers, guests.nix and the new guest's own
// module, and a failed rebuild leaves every file as it was.
func TestGuestFilesAfterAdd(t *testing.T) {
	for _, fail := range []string{"", "nixos-rebuild"} {
		root := guestHost(t)
		etc := filepath.Join(root, "etc/nixos")
		before, _ := os.ReadFile(filepath.Join(etc, installer.GuestsFile))
		rec := &recorder{fail: fail}
		old := guestRunner
		guestRunner = func(*cobra.Command, string, bool) installer.Runner { return rec }
		var out bytes.Buffer
		code := run(context.Background(), []string{"xennix", "guest", "--root", root, "--hardware", "../../assets/examples/hardware/guests-thinpool.json", "add", "db", "--memory", "2GiB"}, strings.NewReader(""), &out, &out)
		guestRunner = old
		after, _ := os.ReadFile(filepath.Join(etc, installer.GuestsFile))
		_, dbErr := os.Stat(filepath.Join(etc, "guests/db.nix"))
		answers, _ := os.ReadFile(filepath.Join(etc, installer.AnswersFile))
		switch fail {
		case "":
			if code != 0 || !strings.Contains(string(after), "db = {") || dbErr != nil || !strings.Contains(string(answers), "name: db") {
				t.Errorf("add db: exit %d, guests.nix has db: %v, guests/db.nix: %v, answers has db: %v\n%s", code, strings.Contains(string(after), "db = {"), dbErr, strings.Contains(string(answers), "name: db"), out.String())
			}
			if prev, err := os.ReadFile(filepath.Join(etc, installer.GuestsFile+".prev")); err != nil || !bytes.Equal(prev, before) {
				t.Errorf("guests.nix.prev is not the previous guests.nix (%v)", err)
			}
		default:
			if code != 1 || !bytes.Equal(after, before) || !errors.Is(dbErr, os.ErrNotExist) || strings.Contains(string(answers), "name: db") {
				t.Errorf("add db with a failing rebuild: exit %d, guests.nix restored: %v, guests/db.nix: %v\n%s", code, bytes.Equal(after, before), dbErr, out.String())
			}
		}
	}
}

// TestSetupGuestsNeedsTerminal: the guests screens need a terminal; without one the
// operator is pointed at the plain prompts and the commands (a usage error, exit 2).
func TestSetupGuestsNeedsTerminal(t *testing.T) {
	root := guestHost(t)
	var out bytes.Buffer
	code := run(context.Background(), []string{"xennix-setup", "--root", root, "--hardware", "../../assets/examples/hardware/guests-thinpool.json", "guests"}, strings.NewReader(""), &out, &out)
	if code != 2 || !strings.Contains(out.String(), "use 'xennix-setup --accessible guests' or 'xennix guest add|set|rm'") {
		t.Errorf("xennix-setup guests without a terminal = %d, %q; want 2 and a pointer to --accessible and xennix guest", code, out.String())
	}
}

// TestAdoptMovesAutoFile: adopt moves the domain's /etc/xen/auto file out of xendomains'
// way once the rebuild succeeded, and leaves it (and the answers) as they were when it
// failed.
func TestAdoptMovesAutoFile(t *testing.T) {
	for _, fail := range []string{"", "nixos-rebuild"} {
		root := guestHost(t)
		rec := &recorder{fail: fail}
		old := guestRunner
		guestRunner = func(*cobra.Command, string, bool) installer.Runner { return rec }
		var out bytes.Buffer
		code := run(context.Background(), []string{"xennix", "guest", "--root", root, "--hardware", "../../assets/examples/hardware/guests-thinpool.json", "adopt", "win"}, strings.NewReader(""), &out, &out)
		guestRunner = old
		_, autoErr := os.Stat(filepath.Join(root, "etc/xen/auto/win.cfg"))
		_, keptErr := os.Stat(filepath.Join(root, "var/lib/xennix/adopted/win.cfg"))
		answers, _ := os.ReadFile(filepath.Join(root, "etc/nixos", installer.AnswersFile))
		adopted := strings.Contains(string(answers), "name: win")
		switch fail {
		case "":
			if code != 0 || !errors.Is(autoErr, os.ErrNotExist) || keptErr != nil || !adopted {
				t.Errorf("adopt win: exit %d, auto file left: %v, kept: %v, in answers: %v\n%s", code, autoErr == nil, keptErr == nil, adopted, out.String())
			}
		default:
			if code != 1 || autoErr != nil || keptErr == nil || adopted {
				t.Errorf("adopt win with a failing rebuild: exit %d, auto file left: %v, moved: %v, in answers: %v\n%s", code, autoErr == nil, keptErr == nil, adopted, out.String())
			}
		}
	}
}
