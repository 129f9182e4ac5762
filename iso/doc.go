// Package iso owns what is specific to the installer medium: answers discovery (kernel
// command line, a volume labelled XENNIX-ANS, HTTP), and the answers-media writer. The NixOS
// modules that build the ISO and netboot images live beside it as .nix files.
//
//   - cmdline.go: ParseCmdline reads xennix.answers= and its pins from /proc/cmdline.
//   - fetch.go: Fetcher gets answers over HTTP(S) (POSTing the hardware report, with
//     retries, a size limit, a SHA-256 pin and a TLS public-key pin) or from a file.
//   - discover.go: Discover tries the command line, then DNS TXT, then the labelled volume.
//   - media.go: WriteAnswersMedia (with go-diskfs) and ReadAnswersMedia.
//   - fat.go: the reader of answers media, FAT12/16/32 in an MBR or GPT partition or on
//     the whole device, bounded in bytes, clusters and time because the installer reads
//     whatever volume carries the label.
//
// Answers are opaque bytes here and the hardware report is JSON from a callback: the
// package must not import installer, hwdetect or installer/tui; cmd/xennix wires them in.
package iso
