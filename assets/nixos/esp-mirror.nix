# A mirrored host has one ESP per disk (disko: /boot on the first, /boot-fallback on the
# second), because neither systemd-boot nor the Xen module's boot builder can write to two
# ESPs (systemd-boot has no mirroredBoots; xen-dom0.nix writes only efiSysMountPoint). This
# module copies /boot to every mirror after each boot loader install, so the host still boots
# when the first disk is gone:
#
# - systemd-boot: boot.loader.systemd-boot.extraInstallCommands, ordered last (mkAfter) so
#   that the copy includes the Xen entries the Xen boot builder adds in the same hook. bootctl
#   installs EFI/BOOT/BOOTX64.EFI too, the path UEFI firmware boots from a disk without a
#   boot entry of its own.
# - Limine: boot.loader.limine.extraInstallCommands where the nixpkgs declares it (an
#   assertion says so where it does not); on BIOS the mirror disk gets Limine's stage 1 and 2
#   as well (`limine bios-install DISK PARTITION`), as limine-install.py does for the first.
#
# A mirror that is not mounted (a failed disk) is reported and skipped: the rebuild of a
# degraded host must not fail because of it.
{
  config,
  lib,
  options,
  pkgs,
  ...
}:
let
  cfg = config.xennix;
  bcfg = cfg.boot;
  esp = config.boot.loader.efi.efiSysMountPoint;

  limineHasHook = (options.boot.loader ? limine) && (options.boot.loader.limine ? extraInstallCommands);

  # The copy itself, as one shell function; its text is also what the tests run.
  syncCommands = ''
    # xennix: keep the mirror ESPs in sync with ${esp} (esp-mirror.nix)
    xennix_sync_esp() {
      local src=$1 dst=$2
      if ! ${pkgs.util-linux}/bin/mountpoint -q "$dst"; then
        echo "xennix: $dst is not mounted, so the second disk's boot files were not updated" >&2
        return 0
      fi
      # FAT keeps no owners or permissions and has a 2 s timestamp resolution.
      # Each ESP keeps its own random seed (bootctl random-seed).
      ${pkgs.rsync}/bin/rsync --recursive --times --delete --modify-window=2 \
        --exclude=/loader/random-seed "$src"/ "$dst"/ ||
        { echo "xennix: copying $src to $dst failed" >&2; return 1; }
      echo "xennix: copied $src to $dst"
    }
  ''
  + lib.concatMapStrings (m: ''
    xennix_sync_esp ${lib.escapeShellArg esp} ${lib.escapeShellArg m}
  '') bcfg.mirroredESPs
  + lib.optionalString (bcfg.loader == "limine" && bcfg.firmware == "bios" && bcfg.mirrorBIOSDevice != null) ''
    ${config.boot.loader.limine.package}/bin/limine bios-install ${lib.escapeShellArg bcfg.mirrorBIOSDevice} ${
      lib.optionalString (bcfg.biosPartitionIndex != null) (toString bcfg.biosPartitionIndex)
    }
  '';
in
{
  options.xennix.boot = {
    mirroredESPs = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/boot-fallback" ];
      description = ''
        Mount points of further ESPs (one per mirror disk) that get a copy of the boot
        partition after every boot loader install.
      '';
    };
    mirrorBIOSDevice = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/dev/disk/by-id/ata-ST4000NM0033_Z1Z0BBBB";
      description = ''
        Limine on BIOS with a mirror: the second disk, which gets Limine's stage 1 (and stage 2
        in its partition xennix.boot.biosPartitionIndex) too.
      '';
    };
  };

  config = lib.mkIf (cfg.enable && bcfg.mirroredESPs != [ ]) (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = bcfg.loader != "limine" || limineHasHook;
            message = "XenNix: a mirrored host with Limine needs boot.loader.limine.extraInstallCommands to keep its second ESP in sync, which this nixpkgs does not declare; use systemd-boot (UEFI) or a newer nixpkgs.";
          }
          {
            assertion = !(lib.elem esp bcfg.mirroredESPs);
            message = "XenNix: xennix.boot.mirroredESPs must not name the ESP itself (${esp}).";
          }
        ];
      }
      (lib.mkIf (bcfg.loader == "systemd-boot") {
        boot.loader.systemd-boot.extraInstallCommands = lib.mkAfter syncCommands;
      })
      (lib.optionalAttrs limineHasHook (
        lib.mkIf (bcfg.loader == "limine") {
          boot.loader.limine.extraInstallCommands = lib.mkAfter syncCommands;
        }
      ))
    ]
  );
}
