# A stand-in for the hardware-configuration.nix that `nixos-generate-config
# --no-filesystems` writes on the target (disko.nix provides the filesystems).
{ lib, ... }:
{
  boot.initrd.availableKernelModules = [
    "ahci"
    "nvme"
    "sd_mod"
    "usb_storage"
    "usbhid"
    "virtio_blk"
    "virtio_pci"
    "xhci_pci"
  ];
  boot.kernelModules = [ "kvm-intel" ];
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
  hardware.enableRedistributableFirmware = lib.mkDefault true;
}
