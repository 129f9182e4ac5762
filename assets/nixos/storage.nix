# Where guest disks live, and the ZFS pools the host imports.
#
# The disko layout (disko.nix, rendered by the installer) creates the filesystems, the LVM
# thin pool or the ZFS datasets; this module only makes sure the location exists at boot
# and says so loudly in the journal when it does not.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.xennix;
  scfg = cfg.storage;
  g = scfg.guests;

  zvolPool = if g.zvolParent == null then null else builtins.head (lib.splitString "/" g.zvolParent);

  # The pools to import at boot: the declared ones and the guest zvols' pool, each once.
  importPools = lib.unique (scfg.zfsPools ++ lib.optional (g.kind == "zvol" && zvolPool != null) zvolPool);
in
{
  options.xennix.storage = {
    guests = {
      kind = lib.mkOption {
        type = lib.types.enum [
          "none"
          "thin-pool"
          "zvol"
          "directory"
        ];
        default = "directory";
        description = ''
          Where guest disks live: image files in a directory, thin LVs in an LVM thin pool,
          ZFS zvols under a parent dataset, or nowhere in particular ("none").
        '';
      };
      path = lib.mkOption {
        type = lib.types.str;
        default = "/var/lib/xen/images";
        description = "The directory for guest disk images (kind \"directory\"); created at boot if missing.";
      };
      thinPool = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "vg0/thinpool";
        description = "The LVM thin pool as \"VG/LV\" (kind \"thin-pool\"), checked at boot.";
      };
      zvolParent = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "rpool/guests";
        description = "The dataset under which guest zvols are created (kind \"zvol\"); created at boot if missing.";
      };
    };
    zfsPools = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "rpool" ];
      description = ''
        ZFS pools to import at boot (boot.zfs.extraPools; pools holding fileSystems are
        imported anyway), and that the installer exports before it reboots.
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = g.kind != "thin-pool" || (g.thinPool != null && builtins.match "[^/]+/[^/]+" g.thinPool != null);
            message = "xennix.storage.guests.thinPool must be \"VG/LV\" when xennix.storage.guests.kind = \"thin-pool\".";
          }
          {
            assertion = g.kind != "zvol" || (g.zvolParent != null && builtins.match "[^/]+(/[^/]+)+" g.zvolParent != null);
            message = "xennix.storage.guests.zvolParent must be \"POOL/DATASET\" when xennix.storage.guests.kind = \"zvol\".";
          }
          {
            assertion = g.kind != "directory" || lib.hasPrefix "/" g.path;
            message = "xennix.storage.guests.path must be an absolute path.";
          }
        ];
      }

      (lib.mkIf (importPools != [ ]) {
        boot.supportedFilesystems = [ "zfs" ];
        # nixos/modules/tasks/filesystems/zfs.nix imports the union of the pools of ZFS
        # fileSystems and extraPools, so naming the root pool again is harmless. One
        # definition, each pool once: the zvol parent's pool is usually also in zfsPools.
        boot.zfs.extraPools = importPools;
      })

      (lib.mkIf (g.kind == "directory") {
        # tmpfiles.d(5): `d` creates the directory if it does not exist, never empties it.
        systemd.tmpfiles.rules = [ "d ${g.path} 0700 root root -" ];
      })

      (lib.mkIf (g.kind == "thin-pool") {
        # nixos/modules/tasks/lvm.nix: points lvm.conf's thin_check/thin_dump/thin_repair at
        # thin-provisioning-tools; without it LVM looks in /usr/sbin and will not activate
        # thin pools.
        services.lvm.boot.thin.enable = true;

        systemd.services.xennix-guest-storage = {
          description = "Check the LVM thin pool for Xen guest disks";
          wantedBy = [ "multi-user.target" ];
          after = [ "local-fs.target" ];
          path = [ pkgs.lvm2.bin ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
          };
          script = ''
            attr=$(lvs --noheadings -o lv_attr ${lib.escapeShellArg g.thinPool} 2>&1) || {
              echo "xennix: the thin pool ${g.thinPool} for guest disks is missing: $attr" >&2
              exit 1
            }
            attr=$(echo "$attr" | tr -d ' ')
            case "$attr" in
              t*) echo "xennix: guest thin pool ${g.thinPool} is present ($attr)" ;;
              *) echo "xennix: ${g.thinPool} is not a thin pool (lv_attr $attr)" >&2; exit 1 ;;
            esac
          '';
        };
      })

      (lib.mkIf (g.kind == "zvol") {
        systemd.services.xennix-guest-storage = {
          description = "Create the ZFS dataset for Xen guest zvols";
          wantedBy = [ "multi-user.target" ];
          # zfs.nix: pools are imported by zfs-import-<pool>.service, before zfs-import.target.
          after = [ "zfs-import.target" ];
          wants = [ "zfs-import.target" ];
          path = [ config.boot.zfs.package ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
          };
          script = ''
            if zfs list -H -o name ${lib.escapeShellArg g.zvolParent} >/dev/null 2>&1; then
              echo "xennix: guest dataset ${g.zvolParent} is present"
            else
              echo "xennix: creating the guest dataset ${g.zvolParent}"
              zfs create -p -o mountpoint=none ${lib.escapeShellArg g.zvolParent}
            fi
          '';
        };
      })
    ]
  );
}
