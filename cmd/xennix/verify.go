package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
dom0, 'xl info' answers, the Xen units are active, the bridge is up with a port, and no
domain config in /etc/xen/auto has the name of a guest of the host's configuration
(xendomains would start it a second time).

Exits 0 only when every check passes.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v installer.Verification
			if target != "" {
				a, err := savedAnswers(target)
				if err != nil {
					return err
				}
				rep, err := hwdetect.Scan(root)
				if err != nil {
					// The firmware decides what "will boot" means: without it the check
					// would judge a BIOS/Limine host by UEFI's rules.
					return fmt.Errorf("read this machine's hardware: %w", err)
				}
				fw, loader := installer.BootOn(a.Boot, &rep)
				v = installer.VerifyTarget(target, loader, fw)
			} else {
				a, err := savedAnswers(root)
				if err != nil {
					return err
				}
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
					XLDryRun: func(file string) ([]byte, error) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						return installer.ExecRunner{}.Run(ctx, []string{"xl", "-N", "create", file})
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
// under root. Only when there is no such file (a host not installed by xennix) are the
// defaults used; a file that cannot be read or parsed is an error, so that a damaged file
// never makes a BIOS/Limine host verify by UEFI's rules.
func savedAnswers(root string) (installer.Answers, error) {
	path := filepath.Join(root, "etc/nixos/xennix/answers.yaml")
	a, err := installer.Load(path, installer.Defaults(nil))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return installer.Defaults(nil), nil
	case err != nil:
		return installer.Answers{}, fmt.Errorf("the saved answers %s: %w", path, err)
	}
	return a, nil
}
