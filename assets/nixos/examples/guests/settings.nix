# Example settings.nix: UEFI, systemd-boot, guest volumes as image files, one PCI device
# hidden from dom0 for a guest.
{
  networking.hostName = "xen-guests";
  xennix = {
    enable = true;
    boot.firmware = "uefi";
    xen = {
      dom0Memory = 4096;
      dom0VCPUs = 2;
      iommu = "required";
      passthrough = [ "0000:03:00.0" ];
    };
    storage.guests.kind = "directory";
  };
}
