// Package installer owns Answers, the one configuration model filled by the TUI, by an
// answers file and saved on the host; its defaults and validation; the install Plan (pure
// data: files and steps); Execute, the only code that touches disks; the install Session
// that the headless install and the TUI share (the runner, the log, the dry run's
// transcript, the failure marker and support bundle); and verification.
//
// It converts Answers into the input types of hwdetect, disko and netsetup. It must never
// import installer/tui or cmd.
package installer
