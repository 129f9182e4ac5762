# The XenNix installer for PXE: nixpkgs' netboot image (kernel + initrd with the squashfs
# store + iPXE script) with the XenNix installer (installer-common.nix).
# Build: nix build .#netboot -> bzImage, initrd, netboot.ipxe, cmdline (see iso/README.md).
{
  config,
  lib,
  pkgs,
  modulesPath,
  ...
}:
let
  build = config.system.build;
in
{
  imports = [
    "${modulesPath}/installer/netboot/netboot-minimal.nix"
    ./installer-common.nix
  ];

  # One directory with everything a PXE server needs. netboot.nix's iPXE script appends the
  # iPXE variable ${cmdline} to the kernel command line, which is how a chainloading script
  # passes xennix.answers=…; `cmdline` is the same command line for pixiecore or a
  # hand-written PXE config.
  system.build.xennixNetboot = pkgs.linkFarm "xennix-netboot" [
    {
      name = "bzImage";
      path = "${build.kernel}/${config.system.boot.loader.kernelFile}";
    }
    {
      name = "initrd";
      path = "${build.netbootRamdisk}/initrd";
    }
    {
      name = "netboot.ipxe";
      path = "${build.netbootIpxeScript}/netboot.ipxe";
    }
    {
      name = "cmdline";
      path = pkgs.writeText "cmdline" "init=${build.toplevel}/init ${toString config.boot.kernelParams}";
    }
  ];
}
