// Package installer owns Answers, the one configuration model filled by the TUI, by an
// answers file and saved on the host; its defaults and validation; the install Plan (pure
// data: files and steps); Execute, the only code that touches disks; the install Session
// that the headless install and the TUI share (the runner, the log, the dry run's
// transcript, the failure marker and support bundle); and verification.
//
// Answers meet the machine once: Resolve validates them against a hardware report and
// decides everything that depends on it (disks, firmware, loader, the disko layout, the
// network, dom0's sizes, the answers as the host keeps them) into a Resolved, which is plain
// data. Render turns a Resolved into the files of /etc/nixos; NewPlan wraps those files in
// install steps, and xennix-setup (InstalledHost) renders through the same Render, so an
// install and a later change cannot write a setting differently; InstalledHost.Preview says
// what its apply will do. The summary, the review screen, the install's hooks and
// xennix-setup read the Resolved; the rule functions it is made with (TargetDisks,
// Dom0Sizes, BootOn) serve the forms, whose answers are not yet valid as a whole.
//
// It converts Answers into the input types of hwdetect, disko and netsetup. It must never
// import installer/tui or cmd.
package installer
