package assets

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// firstBootScript evaluates the shipped script generator (nixos/lib/first-boot-script.nix,
// which first-boot.nix hands to writeShellScript) for commands and a state directory.
func firstBootScript(t *testing.T, commands []string, state string) string {
	t.Helper()
	nix := requireTool(t, "nix-instantiate")
	dir := t.TempDir()
	cj, _ := json.Marshal(commands)
	cf := filepath.Join(dir, "commands.json")
	if err := os.WriteFile(cf, cj, 0o644); err != nil {
		t.Fatal(err)
	}
	gen, _ := filepath.Abs("nixos/lib/first-boot-script.nix")
	expr := `import ` + gen + ` { commands = builtins.fromJSON (builtins.readFile ` + cf + `); stateDir = "` + state + `"; }`
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "-E", expr)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// runScript runs a first-boot script as the unit would (bash, stdin /dev/null) and returns
// its output and whether it succeeded.
func runScript(t *testing.T, script string) (string, bool) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "xennix-first-boot")
	if err := os.WriteFile(f, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", f).CombinedOutput()
	return string(out), err == nil
}

// TestFirstBootRunsEachCommandOnce: the commands run once each; a command added later (by
// xennix-setup) runs once at the next start while the others are skipped; a failure stops
// the script and that command and the ones after it run at the next start; a command
// larger than the kernel's 128 KiB argument limit runs (it is a file, not an argument);
// hostile text runs literally.
func TestFirstBootRunsEachCommandOnce(t *testing.T) {
	state := t.TempDir()
	work := t.TempDir()
	log := filepath.Join(work, "log")
	cmd := func(name string) string { return "echo " + name + " >> " + log }
	ran := func() string { b, _ := os.ReadFile(log); return string(b) }

	// The first boot.
	out, ok := runScript(t, firstBootScript(t, []string{cmd("a"), cmd("b")}, state))
	if !ok || ran() != "a\nb\n" {
		t.Fatalf("first boot: ran %q, ok %t:\n%s", ran(), ok, out)
	}
	// Every later boot: nothing again.
	if out, ok := runScript(t, firstBootScript(t, []string{cmd("a"), cmd("b")}, state)); !ok || ran() != "a\nb\n" || strings.Count(out, "done before, skipped") != 2 {
		t.Fatalf("second boot: ran %q, ok %t:\n%s", ran(), ok, out)
	}
	// A command added later runs once, the old ones are not repeated.
	three := []string{cmd("a"), cmd("b"), cmd("c")}
	if out, ok := runScript(t, firstBootScript(t, three, state)); !ok || ran() != "a\nb\nc\n" {
		t.Fatalf("after adding c: ran %q, ok %t:\n%s", ran(), ok, out)
	}
	if _, ok := runScript(t, firstBootScript(t, three, state)); !ok || ran() != "a\nb\nc\n" {
		t.Fatalf("c ran twice: %q", ran())
	}

	// A failure stops the script; the failed command and the rest run at the next start.
	flag := filepath.Join(work, "fixed")
	failing := "test -e " + flag + " || { echo not yet >&2; exit 7; }"
	four := append(three, failing, cmd("d"))
	if out, ok := runScript(t, firstBootScript(t, four, state)); ok || ran() != "a\nb\nc\n" || !strings.Contains(out, "not yet") {
		t.Fatalf("failing command: ok %t, ran %q:\n%s", ok, ran(), out)
	}
	os.WriteFile(flag, nil, 0o644)
	if out, ok := runScript(t, firstBootScript(t, four, state)); !ok || ran() != "a\nb\nc\nd\n" {
		t.Fatalf("after the fix: ok %t, ran %q:\n%s", ok, ran(), out)
	}

	// Large and hostile commands run as written, with stdin at EOF.
	big := "cat > " + filepath.Join(work, "big") + " <<'END'\n" + strings.Repeat("x", 200<<10) + "\nEND"
	hostile := []string{
		"printf '%s\\n' \"it's\" '$(touch " + filepath.Join(work, "pwned") + ")' '`id`' >> " + log,
		"cat >> " + log + " <<'EOF'\nXENNIX_FIRST_BOOT_0000\nEOF\n",
		"  echo leading-space >> " + log,
		"read -r line || echo stdin-empty >> " + log,
		"echo cr\r >> " + log,
	}
	before := ran()
	out, ok = runScript(t, firstBootScript(t, append([]string{big}, hostile...), state))
	if !ok {
		t.Fatalf("large and hostile commands failed:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(work, "big")); err != nil || fi.Size() != 200<<10+1 {
		t.Errorf("the 200 KiB command did not run whole: %v", err)
	}
	want := "it's\n$(touch " + filepath.Join(work, "pwned") + ")\n`id`\nXENNIX_FIRST_BOOT_0000\nleading-space\nstdin-empty\ncr\r\n"
	if got := strings.TrimPrefix(ran(), before); got != want {
		t.Errorf("hostile commands wrote %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(work, "pwned")); err == nil {
		t.Error("a command's text was expanded by the script")
	}
	if fi, err := os.Stat(filepath.Join(state, "first-boot")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("marker directory: %v", err)
	}
}

// TestFirstBootLegacyMarker: a host from before per-command markers (one first-boot.done)
// does not run its commands again.
func TestFirstBootLegacyMarker(t *testing.T) {
	state := t.TempDir()
	log := filepath.Join(t.TempDir(), "log")
	os.WriteFile(filepath.Join(state, "first-boot.done"), []byte("2026-01-01\n"), 0o644)
	script := firstBootScript(t, []string{"echo old >> " + log}, state)
	if out, ok := runScript(t, script); !ok {
		t.Fatal(out)
	}
	if b, err := os.ReadFile(log); err == nil {
		t.Errorf("a command that ran under the old marker ran again: %q", b)
	}
	if _, err := os.Stat(filepath.Join(state, "first-boot.done.migrated")); err != nil {
		t.Error("the old marker was not kept aside")
	}
}
