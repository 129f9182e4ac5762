# Impermanence: / is reset at every boot, and only what is listed survives, in persistPath.
#
# Sources: nix-community/impermanence nixos.nix (environment.persistence.<path>.{directories,
# files,hideMounts}; it asserts that the persistent filesystem has neededForBoot = true and,
# when /etc/machine-id is persisted, suppresses systemd-machine-id-commit in the initrd).
# The rollback must be a systemd initrd unit ordered before sysroot.mount, because the Xen
# module requires boot.initrd.systemd.enable (postDeviceCommands is for the scripted initrd).
#
# This file never defines environment.persistence unless that option is declared (the
# host's flake imports impermanence.nixosModules.impermanence), so the modules evaluate
# without impermanence when the preset is "none"; a preset without the module is an
# assertion, not an "option does not exist" error.
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.xennix;
  icfg = cfg.impermanence;
  enabled = cfg.enable && icfg.preset != "none";
  hasImpermanence = options.environment ? persistence;

  # nixos/lib/utils.nix escapeSystemdPath, kept here so the module needs no `utils` argument:
  # "/dev/disk/by-partlabel/disk-main-root" -> "dev-disk-by\x2dpartlabel-disk\x2dmain\x2droot".
  escapeSystemdPath =
    s:
    lib.replaceStrings [ "/" "-" " " ] [ "-" "\\x2d" "\\x20" ] (
      lib.removePrefix "/" (if lib.hasSuffix "/" s && s != "/" then lib.removeSuffix "/" s else s)
    );

  fsType = mp: config.fileSystems.${mp}.fsType or null;

  # The guests' directory survives with /var/lib/xen, or is a filesystem of its own; anything
  # else must be persisted explicitly.
  guestDir = cfg.storage.guests.path;
  guestDirPersist =
    cfg.storage.guests.kind == "directory"
    && !(lib.hasPrefix "/var/lib/xen/" guestDir)
    && !(config.fileSystems ? ${guestDir});

  # What every XenNix host keeps. Not /var/lib/xenstored: xen-dom0.nix's xenstored preStart
  # deletes its tdb files at every start, so the store is rebuilt each boot by design.
  defaultDirectories =
    [
      "/etc/nixos" # the host's flake
      "/etc/xen/auto" # xendomains starts the guests whose configs are here (XENDOMAINS_AUTO)
      "/var/lib/nixos" # uid/gid maps (nixos/modules/config/update-users-groups.pl)
      "/var/lib/xen" # xl userdata, saved domains, default guest images
      "/var/lib/systemd" # timers, random seed, coredumps
      "/var/lib/xennix" # verify.json, first-boot markers, answers history, password hashes
    ]
    # /var/log is usually a dataset/subvolume of its own in the XenNix layouts.
    ++ lib.optional (!(config.fileSystems ? "/var/log")) "/var/log"
    ++ lib.optional guestDirPersist guestDir;

  defaultFiles = [
    "/etc/machine-id"
    "/etc/ssh/ssh_host_ed25519_key"
    "/etc/ssh/ssh_host_ed25519_key.pub"
    "/etc/ssh/ssh_host_rsa_key"
    "/etc/ssh/ssh_host_rsa_key.pub"
  ];

  rb = icfg.rollback;
  zfsPool = builtins.head (lib.splitString "/" rb.dataset);

  btrfsRollback = {
    description = "XenNix: reset the btrfs root subvolume ${rb.subvolume} to ${rb.blank}";
    wantedBy = [ "initrd.target" ];
    requires = [ "${escapeSystemdPath rb.device}.device" ];
    after = [ "${escapeSystemdPath rb.device}.device" ];
    before = [ "sysroot.mount" ];
    unitConfig.DefaultDependencies = "no";
    serviceConfig.Type = "oneshot";
    path = [
      pkgs.btrfs-progs
      pkgs.coreutils
      pkgs.util-linux
    ];
    script = ''
      set -eu
      top=/xennix-btrfs-top
      mkdir -p "$top"
      mount -t btrfs -o subvol=/ ${lib.escapeShellArg rb.device} "$top"
      trap 'umount "$top"' EXIT
      if [ ! -d "$top/${rb.blank}" ]; then
        echo "xennix-rollback: $top/${rb.blank} is missing; leaving ${rb.subvolume} as it is" >&2
        exit 1
      fi
      # Delete nested subvolumes first (machinectl, docker, ... create them): a subvolume
      # that still contains subvolumes cannot be deleted.
      delete_subvolume() {
        btrfs subvolume list -o "$1" | cut -f 9- -d ' ' | while read -r sub; do
          delete_subvolume "$top/$sub"
        done
        btrfs subvolume delete "$1"
      }
      if [ -d "$top/${rb.subvolume}" ]; then
        delete_subvolume "$top/${rb.subvolume}"
      fi
      btrfs subvolume snapshot "$top/${rb.blank}" "$top/${rb.subvolume}"
    '';
  };

  zfsRollback = {
    description = "XenNix: roll ${rb.dataset} back to @${rb.snapshot}";
    wantedBy = [ "initrd.target" ];
    # zfs.nix names the initrd import unit zfs-import-<pool>.service.
    requires = [ "zfs-import-${zfsPool}.service" ];
    after = [ "zfs-import-${zfsPool}.service" ];
    before = [ "sysroot.mount" ];
    unitConfig.DefaultDependencies = "no";
    serviceConfig.Type = "oneshot";
    path = [ config.boot.zfs.package ];
    script = ''
      zfs rollback -r ${lib.escapeShellArg "${rb.dataset}@${rb.snapshot}"}
    '';
  };
in
{
  options.xennix.impermanence = {
    preset = lib.mkOption {
      type = lib.types.enum [
        "none"
        "tmpfs"
        "btrfs"
        "zfs"
      ];
      default = "none";
      description = ''
        How / is reset at boot: not at all, a tmpfs root, a btrfs subvolume restored from a
        blank snapshot, or a ZFS dataset rolled back to a blank snapshot. Needs the
        impermanence NixOS module (the host's flake imports it).
      '';
    };
    persistPath = lib.mkOption {
      type = lib.types.str;
      default = "/persist";
      description = "Where persisted state lives: a filesystem of its own, mounted in the initrd.";
    };
    directories = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/home" "/var/lib/libvirt" ];
      description = ''
        Directories to keep beyond XenNix's defaults (/etc/nixos, /etc/xen/auto,
        /var/lib/nixos, /var/lib/xen, /var/lib/systemd, /var/lib/xennix, and /var/log unless
        it is a filesystem of its own). /home and /root are not kept unless listed.
      '';
    };
    files = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/etc/adjtime" ];
      description = "Files to keep beyond XenNix's defaults (/etc/machine-id and the SSH host keys).";
    };
    rollback = {
      device = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "/dev/disk/by-partlabel/disk-main-root";
        description = "btrfs: the block device holding the root subvolume (a LUKS mapping: /dev/mapper/NAME).";
      };
      subvolume = lib.mkOption {
        type = lib.types.str;
        default = "@root";
        description = "btrfs: the root subvolume, recreated at every boot.";
      };
      blank = lib.mkOption {
        type = lib.types.str;
        default = "@root-blank";
        description = "btrfs: the read-only snapshot of the empty root subvolume.";
      };
      dataset = lib.mkOption {
        type = lib.types.str;
        default = "rpool/local/root";
        description = "zfs: the root dataset, rolled back at every boot.";
      };
      snapshot = lib.mkOption {
        type = lib.types.str;
        default = "blank";
        description = "zfs: the blank snapshot of the root dataset.";
      };
    };
  };

  config = lib.mkIf enabled (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = hasImpermanence;
            message = "xennix.impermanence.preset = \"${icfg.preset}\" needs the impermanence NixOS module (github:nix-community/impermanence, nixosModules.impermanence) in the host's modules.";
          }
          {
            assertion = (config.fileSystems.${icfg.persistPath}.device or null) != null;
            message = "xennix.impermanence.persistPath = \"${icfg.persistPath}\" is not a filesystem: the disko layout must mount one there.";
          }
          {
            assertion = fsType "/" == { tmpfs = "tmpfs"; btrfs = "btrfs"; zfs = "zfs"; }.${icfg.preset};
            message = "xennix.impermanence.preset = \"${icfg.preset}\" does not fit the root filesystem (fsType ${toString (fsType "/")}).";
          }
          {
            assertion = icfg.preset != "btrfs" || rb.device != null;
            message = "xennix.impermanence.rollback.device must name the btrfs device holding ${rb.subvolume}.";
          }
        ];

        # The persistent filesystem must be mounted in the initrd, before impermanence's
        # bind mounts (impermanence nixos.nix asserts this). disko.nix defines the rest.
        fileSystems.${icfg.persistPath}.neededForBoot = true;
      }

      (lib.optionalAttrs hasImpermanence {
        environment.persistence.${icfg.persistPath} = {
          hideMounts = true;
          directories = defaultDirectories ++ icfg.directories;
          files = defaultFiles ++ icfg.files;
        };
      })

      (lib.mkIf (icfg.preset == "btrfs" && rb.device != null) {
        boot.initrd.systemd.services.xennix-rollback = btrfsRollback;
      })

      (lib.mkIf (icfg.preset == "zfs") {
        boot.initrd.systemd.services.xennix-rollback = zfsRollback;
      })
    ]
  );
}
