# Stub declarations of the NixOS options the XenNix host modules set or read, named as in
# nixpkgs (the comments give the file), for evaluating the modules with the real
# lib.evalModules but without nixpkgs' module tree. Used by eval-real.nix and
# stub-options.nix. Types are `anything` except where a module reads a value back.
#
# Arguments: lib (nixpkgs' lib), fakeDrv (name -> a derivation-like attrset), and
# xenGeneration: "new" (nixpkgs >= 25.11: virtualisation.xen.boot.*, Limine) or "old"
# (24.11/25.05: virtualisation.xen.bootParams, no Limine).
{
  lib,
  fakeDrv,
}:
{ xenGeneration }:
let
  inherit (lib) mkOption types;
  any = mkOption {
    type = types.anything;
    default = null;
  };
  anyDefault = d: mkOption {
    type = types.anything;
    default = d;
  };
  list = mkOption {
    type = types.listOf types.anything;
    default = [ ];
  };
  bool = d: mkOption {
    type = types.bool;
    default = d;
  };

in
[
      # nixos/modules/virtualisation/xen-dom0.nix (both generations: DESIGN §1).
      {
        options.virtualisation.xen =
          {
            enable = bool false;
            package = anyDefault (fakeDrv "xen");
            qemu.package = anyDefault (fakeDrv "qemu-xen");
            domains.extraConfig = mkOption {
              type = types.lines;
              default = "";
            };
            dom0Resources = {
              memory = anyDefault 0;
              maxMemory = anyDefault 0;
              maxVCPUs = anyDefault 0;
            };
          }
          // (
            if xenGeneration == "new" then
              {
                boot.params = list;
                boot.bios.path = any;
              }
            else
              { bootParams = list; }
          );
      }
      # nixos/modules/system/boot/kernel.nix, stage-1.nix, systemd/initrd.nix
      {
        options.boot = {
          kernelParams = list;
          initrd.kernelModules = list;
          initrd.systemd.enable = bool false;
          initrd.systemd.services = anyDefault { };
          supportedFilesystems = list;
          zfs.extraPools = list;
          zfs.package = anyDefault (fakeDrv "zfs");
        };
      }
      # loader/grub/grub.nix (default !isContainer), systemd-boot.nix, efi.nix, limine.nix
      {
        options.boot.loader = {
          grub.enable = bool true;
          systemd-boot.enable = bool false;
          systemd-boot.configurationLimit = any;
          systemd-boot.extraInstallCommands = mkOption {
            type = types.lines;
            default = "";
          };
          efi.canTouchEfiVariables = bool false;
          efi.efiSysMountPoint = anyDefault "/boot";
        }
        // lib.optionalAttrs (xenGeneration == "new") {
          limine = {
            enable = bool false;
            maxGenerations = any;
            efiSupport = any;
            biosSupport = any;
            extraConfig = mkOption {
              type = types.lines;
              default = "";
            };
            extraInstallCommands = mkOption {
              type = types.lines;
              default = "";
            };
            package = anyDefault (fakeDrv "limine");
            biosDevice = anyDefault "nodev";
            partitionIndex = any;
            secureBoot.enable = bool false;
          };
        };
      }
      # tasks/lvm.nix, tasks/filesystems.nix, system/boot/systemd.nix, networkd.nix, tmpfiles
      {
        options.services.lvm.boot.thin.enable = bool false;
        options.fileSystems = anyDefault { };
        options.systemd = {
          services = anyDefault { };
          targets = anyDefault { };
          tmpfiles.rules = list;
          package = anyDefault (fakeDrv "systemd");
          network.netdevs = anyDefault { };
        };
      }
      # tasks/network-interfaces.nix
      { options.networking.hostName = anyDefault "nixos"; }
      # config/system-path.nix, system/etc/etc.nix, config/shells-environment.nix,
      # impermanence nixos.nix
      {
        options.environment = {
          etc = anyDefault { };
          systemPackages = list;
          defaultPackages = list;
          loginShellInit = mkOption {
            type = types.lines;
            default = "";
          };
          persistence = anyDefault { };
        };
      }
      # misc/documentation.nix, x11/xserver.nix, config/fonts/fontconfig.nix,
      # programs/command-not-found, services/networking/ssh/sshd.nix, misc/assertions.nix
      {
        options = {
          documentation = {
            enable = any;
            doc.enable = any;
            info.enable = any;
            man.enable = any;
            nixos.enable = any;
          };
          services.xserver.enable = any;
          fonts.fontconfig.enable = any;
          programs.command-not-found.enable = any;
          services.openssh = {
            enable = bool false;
            settings.PermitRootLogin = any;
            settings.PasswordAuthentication = any;
            settings.KbdInteractiveAuthentication = any;
          };
          assertions = list;
          warnings = list;
        };
      }
]
