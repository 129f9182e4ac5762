# Example XenNix host (zfs), as the installer would write /etc/nixos/configuration.nix.
{
  imports = [
    ../common/hardware-configuration.nix
    ../common/network.nix
    ../common/settings-base.nix
    ../../host.nix
    ./disko.nix
    ./settings.nix
  ];
}
