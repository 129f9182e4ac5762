# XenNix host modules: NixOS as a Xen dom0, configured through the high-level `xennix.*`
# options (the contract is OPTIONS.md beside this file). The installer copies the .nix files
# of this directory (not tests/ or examples/) to /etc/nixos/xennix/ and renders the answers
# into xennix/settings.nix; the repository's flake exports this file as nixosModules.host.
#
# Everything is automated once `xennix.enable = true`, and every value set here that a user
# may want to change is either an option of its own or a lib.mkDefault.
#
# The modules need no input besides nixpkgs: impermanence's module is only used when a
# preset other than "none" is chosen (the host's flake imports it), and disko's module
# provides fileSystems from disko.nix.
{ lib, ... }:
{
  imports = [
    ./xen.nix
    ./boot.nix
    ./esp-mirror.nix
    ./storage.nix
    ./impermanence.nix
    ./profile.nix
    ./verify.nix
    ./first-boot.nix
    ./guests.nix
  ];

  options.xennix.enable = lib.mkEnableOption "XenNix: turn this host into a Xen dom0 with the XenNix defaults";
}
