package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

func newInstallCmd() *cobra.Command {
	var (
		answers    string
		dryRun     bool
		out        string
		resume     bool
		accessible bool
		root       string
	)
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install XenNix on this machine, interactively or from an answers file",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := hwdetect.Scan(root)
			if err != nil {
				return fmt.Errorf("probe hardware: %w", err)
			}
			w := cmd.OutOrStdout()
			if answers == "" {
				fmt.Fprintf(w, "Hardware: %s firmware, %d disk(s), %d NIC(s), %s RAM.\n",
					rep.Firmware.Mode, len(rep.Disks), len(rep.NICs), installer.Size(rep.Memory.TotalBytes).Human())
				return errNotBuilt("the interactive installer (TUI)")
			}
			a, err := installer.Load(answers, installer.Defaults(&rep))
			if err == nil {
				err = a.Validate(&rep)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "Answers: %s\n", a.Summary(&rep))
			return errNotBuilt("the install plan and its execution")
		},
	}
	f := cmd.Flags()
	f.StringVar(&answers, "answers", "", "answers file (path) for a headless install")
	f.BoolVar(&dryRun, "dry-run", false, "write the plan and files under --out and touch no disk")
	f.StringVar(&out, "out", "xennix-dry-run", "directory for --dry-run output")
	f.BoolVar(&resume, "resume", false, "continue a failed install from the failed step")
	f.BoolVar(&accessible, "accessible", false, "plain sequential prompts instead of the full-screen interface")
	f.StringVar(&root, "root", "/", "filesystem root to probe (for testing)")
	return cmd
}
