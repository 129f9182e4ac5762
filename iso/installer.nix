# The XenNix installer ISO: nixpkgs' minimal installation CD with the XenNix installer
# (installer-common.nix). Build: nix build .#iso
{
  lib,
  modulesPath,
  ...
}:
{
  imports = [
    "${modulesPath}/installer/cd-dvd/installation-cd-minimal.nix"
    ./installer-common.nix
  ];

  # image.baseName replaced isoImage.isoBaseName in nixpkgs 25.05 (iso-image.nix).
  image.baseName = lib.mkForce "xennix-installer";
  isoImage.appendToMenuLabel = " XenNix installer";
}
