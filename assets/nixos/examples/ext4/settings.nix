# Example settings.nix: UEFI, systemd-boot, guests as image files.
{
  networking.hostName = "xen-ext4";
  xennix = {
    enable = true;
    boot.firmware = "uefi";
    boot.serialConsole = "ttyS0,115200";
    xen = {
      dom0Memory = 4096;
      dom0VCPUs = 4;
    };
    storage.guests.kind = "directory";
  };
}
