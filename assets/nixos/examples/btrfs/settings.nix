# Example settings.nix: BIOS with Limine, impermanence on btrfs.
{
  networking.hostName = "xen-btrfs";
  xennix = {
    enable = true;
    boot = {
      firmware = "bios";
      biosDevice = "/dev/disk/by-id/ata-EXAMPLE_HDD_4TB_Z0000003";
      biosPartitionIndex = 1;
    };
    xen.dom0Memory = 4096;
    impermanence = {
      preset = "btrfs";
      rollback.device = "/dev/disk/by-partlabel/disk-main-root";
    };
  };
}
