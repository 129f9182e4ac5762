# btrfs on one disk, BIOS: EF02 for Limine's stage 2 (partition 1), FAT32 /boot (Limine
# without EFI support needs an unencrypted FAT /boot: nixpkgs limine-install.py), then btrfs
# subvolumes. @root-blank is the empty snapshot the rollback unit restores @root from.
{
  disko.devices.disk.main = {
    type = "disk";
    device = "/dev/disk/by-id/ata-EXAMPLE_HDD_4TB_Z0000003";
    content = {
      type = "gpt";
      partitions = {
        bios = {
          size = "1M";
          type = "EF02";
          priority = 100;
        };
        boot = {
          size = "1G";
          type = "EF00";
          priority = 200;
          content = {
            type = "filesystem";
            format = "vfat";
            extraArgs = [ "-F" "32" ];
            mountpoint = "/boot";
            mountOptions = [ "umask=0077" ];
          };
        };
        root = {
          size = "100%";
          content = {
            type = "btrfs";
            subvolumes = {
              "@root" = {
                mountpoint = "/";
                mountOptions = [ "compress=zstd" "noatime" ];
              };
              "@nix" = {
                mountpoint = "/nix";
                mountOptions = [ "compress=zstd" "noatime" ];
              };
              "@persist" = {
                mountpoint = "/persist";
                mountOptions = [ "compress=zstd" "noatime" ];
              };
              "@log" = {
                mountpoint = "/var/log";
                mountOptions = [ "compress=zstd" "noatime" ];
              };
              "@images" = {
                mountpoint = "/var/lib/xen/images";
                mountOptions = [ "noatime" ];
              };
            };
            postCreateHook = ''
              MNTPOINT=$(mktemp -d)
              mount /dev/disk/by-partlabel/disk-main-root "$MNTPOINT" -o subvol=/
              btrfs subvolume snapshot -r "$MNTPOINT/@root" "$MNTPOINT/@root-blank"
              umount "$MNTPOINT"
              rmdir "$MNTPOINT"
            '';
          };
        };
      };
    };
  };
}
