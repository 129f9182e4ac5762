// Package iso owns what is specific to the installer medium: answers discovery (kernel
// command line, a volume labelled XENNIX-ANS, HTTP), and the answers-media writer. The NixOS
// modules that build the ISO and netboot images live beside it as .nix files.
//
// It must not import installer/tui.
package iso
