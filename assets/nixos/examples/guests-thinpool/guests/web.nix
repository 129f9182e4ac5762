# The NixOS configuration of the guest web. XenNix wrote it once, when the guest was
# added, and never rewrites it: it is yours. The guest's machine (memory, disks, network,
# SSH keys given to xennix) is in ../xennix/guests.nix, which `xennix guest set` changes.
# Its interface 0 has the static address 192.0.2.20/24 (XenNix configures it).
# This file is a NixOS module; build with `nixos-rebuild switch` on the host.
{ config, lib, pkgs, ... }:
{
  users.users.root.openssh.authorizedKeys = {
    # The host's root and admin keys, copied when the guest was added: `xennix guest ssh web`.
    keys = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"
    ];
  };
  services.openssh.enable = true;
  system = {
    # The NixOS release this guest started with; see `man configuration.nix` before changing it.
    stateVersion = "25.11";
  };
}
