package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/hwdetect"
)

// newProbeCmd is `xennix probe [--json] [--root DIR]`: the hardware report, as a summary
// for people or as JSON for `xennix validate --hardware` and answer servers.
func newProbeCmd() *cobra.Command {
	var asJSON bool
	var root string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Show what the installer sees of this machine's hardware",
		Long: `Show firmware (UEFI or BIOS, Secure Boot), CPU and virtualisation support, IOMMU,
hypervisor, memory, disks (with their stable /dev/disk/by-id names) and network
interfaces, then warnings about anything that stands in the way of a XenNix host.

With --json, print the full report (including PCI devices) as JSON; save it and check
an answers file against it with 'xennix validate FILE --hardware report.json'.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := hwdetect.Scan(root)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !asJSON {
				return rep.WriteText(out)
			}
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&root, "root", "/", "scan the system mounted at `DIR` (its sys, proc, run/udev and dev/disk/by-id)")
	return cmd
}
