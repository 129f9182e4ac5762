# Example settings.nix: guests as thin LVs in vg0/thinpool, IOMMU required, one GPU passed
# through.
{
  networking.hostName = "xen-lvm";
  xennix = {
    enable = true;
    xen = {
      dom0Memory = 8192;
      dom0MaxMemory = 8192;
      iommu = "required";
      passthrough = [ "0000:03:00.0" ];
    };
    storage.guests = {
      kind = "thin-pool";
      thinPool = "vg0/thinpool";
    };
  };
}
