package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// errNotBuilt is what commands that exist in the design but not yet in this build return:
// they say so plainly instead of pretending.
func errNotBuilt(what string) error {
	return fmt.Errorf("%s is not built yet in this version of xennix; see README.md for what works today", what)
}

func newSetupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "setup",
		Short: "Change an installed XenNix host (also run as xennix-setup) — not built yet",
		RunE: func(*cobra.Command, []string) error {
			return errNotBuilt("xennix-setup (the host configurator)")
		},
	}
}
