package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

func newVerifyCmd() *cobra.Command {
	var (
		target string
		asJSON bool
		root   string
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that an installed system will boot Xen (--target), or that this host is a working dom0",
		Long: `Before the first boot, 'xennix verify --target /mnt' checks the installed system: the
Xen bootspec, the Xen boot entry (default for systemd-boot, or Limine's multiboot entry),
its binaries on the boot partition, and the verify unit.

On a host, 'xennix verify' checks the running system: Xen is the hypervisor and this is
dom0, 'xl info' answers, the Xen units are active, and the bridge is up with a port.

Exits 0 only when every check passes.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v installer.Verification
			if target != "" {
				a := savedAnswers(target)
				rep, _ := hwdetect.Scan(root)
				v = installer.VerifyTarget(target, a.Loader(&rep), a.Firmware(&rep))
			} else {
				a := savedAnswers(root)
				v = installer.VerifyHost(root, a.Network.Bridge, installer.HostChecks{
					XLInfo: func() ([]byte, error) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						return installer.ExecRunner{}.Run(ctx, []string{"xl", "info"})
					},
					UnitActive: func(unit string) (bool, error) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						err := exec.CommandContext(ctx, "systemctl", "is-active", "--quiet", unit).Run()
						if _, exited := err.(*exec.ExitError); exited {
							return false, nil
						}
						return err == nil, err
					},
				})
			}
			out := cmd.OutOrStdout()
			if asJSON {
				b, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(b))
			} else {
				fmt.Fprint(out, v.String())
			}
			if !v.OK {
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "root of a just-installed system (e.g. /mnt) to check before rebooting")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&root, "root", "/", "root of the running system (for testing)")
	return cmd
}

// savedAnswers reads the answers an installed system keeps in etc/nixos/xennix/answers.yaml
// under root, or the defaults when there are none (a host not installed by xennix).
func savedAnswers(root string) installer.Answers {
	a, err := installer.Load(filepath.Join(root, "etc/nixos/xennix/answers.yaml"), installer.Defaults(nil))
	if err != nil {
		return installer.Defaults(nil)
	}
	return a
}
