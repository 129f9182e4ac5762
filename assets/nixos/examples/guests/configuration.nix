# Example XenNix host with guests (ext4 layout), as /etc/nixos/configuration.nix would be
# with declared guests: guests.nix holds them, the rest is the ext4 example's.
{
  imports = [
    ../common/hardware-configuration.nix
    ../common/network.nix
    ../common/settings-base.nix
    ../../host.nix
    ../ext4/disko.nix
    ./settings.nix
    ./guests.nix
  ];
}
