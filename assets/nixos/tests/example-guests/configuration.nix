# The flake's example host with guests (checks.x86_64-linux.example-guests): the installer's
# /etc/nixos for the uefi-ext4-dhcp answers example, plus the guests an operator declares in
# a file of their own, imported as configuration.nix would import it.
{
  imports = [
    ../../examples/uefi-ext4-dhcp/configuration.nix
    ./guests.nix
  ];
}
