package tui

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteKeyNeverInDryRun: the passphrase the operator typed is written (0600) for a real
// install only; a dry run leaves no passphrase under --out.
func TestWriteKeyNeverInDryRun(t *testing.T) {
	for _, dry := range []bool{true, false} {
		root := t.TempDir()
		st := &state{opts: Options{Root: root, DryRun: dry}, passphrase: "correct horse"}
		st.a.Storage.Encryption.Enabled = true
		st.a.Storage.Encryption.PassphraseFile = KeyFile
		if err := writeKey(st); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(root, KeyFile))
		switch {
		case dry && err == nil:
			t.Errorf("a dry run wrote the passphrase to %s", filepath.Join(root, KeyFile))
		case !dry && (err != nil || fi.Mode().Perm() != 0o600):
			t.Errorf("a real install: key file %v, err %v; want it, mode 0600", fi, err)
		}
	}
}
