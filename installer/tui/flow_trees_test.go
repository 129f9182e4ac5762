package tui

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/internal/nixcheck"
)

// TestFlowTreesAreNixOS plays each flow to its end, plans the install of the answers the
// screens produced, writes the /etc/nixos that plan installs, and checks every option its
// files set against NixOS' and XenNix's declarations (internal/nixcheck): what an operator
// chooses on the screens must be a configuration NixOS accepts.
func TestFlowTreesAreNixOS(t *testing.T) {
	c, err := nixcheck.New(filepath.Join("..", ".."))
	if err != nil {
		if os.Getenv("CI") != "true" && (errors.Is(err, exec.ErrNotFound) || errors.Is(err, nixcheck.ErrNoData)) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer c.Close()
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			o := testOptions(t, fl.machine)
			d := newDriver(t, o)
			drive(t, d, fl.script)
			if !d.quit {
				t.Fatalf("the run did not end at the confirmation; screen:\n%s", d.m.render())
			}
			p, err := o.Plan(d.m.st.a)
			if err != nil {
				t.Fatalf("plan the flow's answers: %v", err)
			}
			root := t.TempDir()
			for _, f := range p.Files() {
				dst := filepath.Join(root, f.Path)
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			problems, n, err := c.Tree(filepath.Join(root, installer.TargetDir, "etc/nixos"))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) > 0 {
				t.Errorf("the flow's tree sets what NixOS does not declare:\n%s", strings.Join(problems, "\n"))
			}
			if n < 20 {
				t.Errorf("only %d definitions checked", n)
			}
		})
	}
}
