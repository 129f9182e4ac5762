// Package nixcheck is test support: it evaluates the NixOS module files of a generated
// /etc/nixos tree with nix-instantiate and checks every option they set against what NixOS
// (shared/data/nixos-options.tsv and assets/nixos/tests/core-options.txt), disko and the
// XenNix host modules declare, with the value's type where the type is simple. The
// installer's and the TUI's tests use it on every tree they can generate.
//
// It imports only assets (for the XenNix modules' declarations) and is imported by tests
// only.
package nixcheck
