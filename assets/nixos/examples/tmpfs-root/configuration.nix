# Your configuration. XenNix wrote it once and never rewrites it: add your own settings
# here. What the installer and xennix-setup manage lives in ./xennix/ (settings.nix,
# network.nix); the disk layout is ./disko.nix.
{ config, lib, pkgs, ... }:
{
  imports = [
    ./hardware-configuration.nix
    ./disko.nix
    ./xennix/host.nix
    ./xennix/settings.nix
    ./xennix/network.nix
  ];
  system = {
    # The NixOS release this host was installed with; see `man configuration.nix`
    # before changing it.
    stateVersion = "25.11";
  };
}
