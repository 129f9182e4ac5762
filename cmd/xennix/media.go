package main

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/iso"
)

// validateAnswers checks an answers file before it is put on a medium: every problem,
// each naming its line and field. It is set where the installer is wired in; while it is
// nil, answers-media refuses to write anything rather than put unchecked answers on a
// medium that installs unattended.
var validateAnswers func(path string) error

func newAnswersMediaCmd() *cobra.Command {
	var (
		out  string
		size string
	)
	cmd := &cobra.Command{
		Use:   "answers-media ANSWERS.yaml -o IMG",
		Short: "Write a small disk image labelled XENNIX-ANS carrying an answers file",
		Long: `Check an answers file, then write a disk image that carries it, for unattended
installs from a USB stick or a BMC's virtual media: an MBR partition table with one
FAT32 partition labelled XENNIX-ANS holding answers.yaml and a README.txt. The
installer finds it by its label when the kernel command line names no answers.

Copy it onto a stick with, for example:

  dd if=answers.img of=/dev/sdX bs=1M conv=fsync

The image is created with mode 0600, as answers may carry secrets.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("-o IMG is required")}
			}
			z, err := installer.ParseSize(size)
			if err != nil {
				return usageError{fmt.Errorf("--size: %w", err)}
			}
			if validateAnswers == nil {
				return errors.New("answers-media: answers validation is not wired into this build, so nothing was written")
			}
			if err := validateAnswers(args[0]); err != nil {
				// The validator names the file and each problem.
				return fmt.Errorf("nothing written: %w", err)
			}
			answers, err := installer.ReadFile(args[0])
			if err != nil {
				return err
			}
			if err := iso.WriteAnswersMedia(out, answers, int64(z)); err != nil {
				if errors.Is(err, iso.ErrMediaSize) {
					return usageError{fmt.Errorf("--size: %w", err)}
				}
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, volume %s, %s sha256 %x\n",
				out, installer.Size(z), iso.VolumeLabel, iso.AnswersFileName, sha256.Sum256(answers))
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "image file to write (replaced atomically)")
	cmd.Flags().StringVar(&size, "size", "48MiB", fmt.Sprintf("image size, whole MiB from %dMiB to %dMiB", iso.MinMediaSize>>20, iso.MaxMediaSize>>20))
	return cmd
}
