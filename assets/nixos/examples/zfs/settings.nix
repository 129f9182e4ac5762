# Example settings.nix: UEFI with Limine, impermanence on ZFS, guests as zvols.
{
  networking.hostName = "xen-zfs";
  # ZFS needs a host id (nixos zfs.nix asserts it); the installer derives it from the
  # machine id.
  networking.hostId = "5e1f7a2b";
  xennix = {
    enable = true;
    boot.loader = "limine";
    xen = {
      dom0Memory = 4096;
      autoballoon = false;
    };
    storage = {
      zfsPools = [ "rpool" ];
      guests = {
        kind = "zvol";
        zvolParent = "rpool/guests";
      };
    };
    impermanence.preset = "zfs";
  };
}
