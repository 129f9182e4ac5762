package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the answers file",
		Long: `Print the JSON Schema (draft 2020-12) of the answers file. Save it and point your
editor at it with a first line like:

  # yaml-language-server: $schema=./answers.schema.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(installer.Schema())
			return err
		},
	}
}

func newValidateCmd() *cobra.Command {
	var hardware string
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an answers file, optionally against a machine's hardware report",
		Long: `Check an answers file: its syntax, every value, and how the values fit together.
With --hardware (the output of 'xennix probe --json' on the target machine), also check
it against that machine: disks, NICs, PCI devices, memory and firmware.

Prints every problem with its line, column and field, and exits 1; or prints a one-line
summary of what would be installed and exits 0.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rep *hwdetect.Report
			if hardware != "" {
				f, err := os.Open(hardware)
				if err != nil {
					return usageError{fmt.Errorf("--hardware: %w", err)}
				}
				r, err := hwdetect.Load(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("--hardware %s: %w", hardware, err)
				}
				rep = &r
			}
			data, err := installer.ReadFile(args[0])
			if err != nil {
				return err
			}
			_, h, err := installer.ParseAndResolve(args[0], data, installer.Defaults(rep), rep)
			if problems := installer.Problems(err); len(problems) > 0 {
				out := cmd.OutOrStdout()
				for _, p := range problems {
					fmt.Fprintln(out, p)
				}
				fmt.Fprintf(out, "%d problem(s) in %s\n", len(problems), args[0])
				return errSilent
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "ok: %s\n", h.Summary())
			return err
		},
	}
	cmd.Flags().StringVar(&hardware, "hardware", "", "hardware report (xennix probe --json) to check the answers against")
	return cmd
}

func init() {
	// answers-media puts only answers that validate on a medium.
	validateAnswers = func(path string) error {
		data, err := installer.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = installer.ParseAndValidate(path, data, installer.Defaults(nil), nil)
		if problems := installer.Problems(err); len(problems) > 0 {
			var lines []string
			for _, p := range problems {
				lines = append(lines, p.Error())
			}
			return fmt.Errorf("%d problem(s):\n%s", len(problems), strings.Join(lines, "\n"))
		}
		return err
	}
}
