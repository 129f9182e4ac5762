# Stub declarations of the NixOS options a XenNix NixOS guest's evaluation sets
# (../guests/guest.nix, and the examples' nixos.config), named as in nixpkgs (the comments
# give the file), and the guest's toplevel as a stub. Used by guests-eval.nix; listed by
# stub-options.nix, so TestOptionsKnownToNixOS checks them against NixOS' option list.
{
  lib,
  fakeDrv,
}:
let
  inherit (lib) mkOption types;
  any =
    d:
    mkOption {
      type = types.anything;
      default = d;
    };
  list = mkOption {
    type = types.listOf types.anything;
    default = [ ];
  };
in
[
  {
    options = {
      # system/boot/loader/grub/grub.nix, system/boot/kernel.nix, system/boot/stage-2.nix
      boot.loader.grub.enable = any true;
      boot.initrd.availableKernelModules = list;
      boot.initrd.kernelModules = list;
      boot.kernelParams = list;
      boot.postBootCommands = mkOption {
        type = types.lines;
        default = "";
      };
      # tasks/filesystems.nix, tasks/network-interfaces.nix, system/boot/networkd.nix
      fileSystems = any { };
      networking.hostName = any "nixos";
      networking.nameservers = list;
      networking.useNetworkd = any false;
      networking.useDHCP = any true;
      systemd.network.networks = any { };
      # config/users-groups.nix, services/networking/ssh/sshd.nix, system/boot/timesyncd.nix
      users.users = any { };
      services.openssh.enable = any false;
      services.timesyncd.enable = any true;
      # config/nix.nix, config/system-path.nix, misc/version.nix, misc/nixpkgs.nix,
      # system/activation/top-level.nix
      nix.package = any (fakeDrv "nix");
      environment.systemPackages = list;
      system.stateVersion = any null;
      nixpkgs.pkgs = any null;
      nixpkgs.hostPlatform = any null;
      system.build = any { };
    };
  }
  (
    { config, ... }:
    {
      system.build.toplevel = fakeDrv "nixos-system-${config.networking.hostName}";
    }
  )
]
