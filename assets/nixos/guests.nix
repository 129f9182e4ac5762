# Declarative Xen guests (domUs): `xennix.guests.<name>`.
#
# Each enabled guest becomes
#   - an xl.cfg in the store (./guests/xl.nix writes it; a value can never become syntax),
#     linked as /etc/xen/xennix/<name>.cfg;
#   - its own unit xen-guest-<name>.service (not a template instance: a guest removed from
#     the configuration has no unit any more, so switch-to-configuration stops it), which
#     runs `xl create -F` on the cfg's store path and is part of xennix-guests.target;
#   - an entry of /etc/xen/xennix/guests.json, what the Go tool reads instead of evaluating
#     Nix.
# A changed guest has a changed cfg path, so a changed unit, which `nixos-rebuild switch`
# restarts (graceful shutdown, then create) unless restartIfChanged is false.
#
# NixOS guests (kind "nixos") are evaluated with the host's nixpkgs (as containers.<name>
# are: nixos/modules/virtualisation/nixos-containers.nix) and boot by direct kernel boot
# from the host's store, their /nix/store a read-only erofs image of their own closure on
# xvda (./guests/guest.nix). Every guest is evaluated with the host: many guests make the
# host's evaluation slower (microvm.nix issue #53).
#
# Facts used (see shared/design/guests.md §6): xl.cfg(5), xl-disk-configuration(5),
# xl-network-configuration(5), xl-pci-configuration(5); `xl create -F` stays in the
# foreground until the domain dies and re-creates it from the in-memory config on an
# in-guest reboot (tools/xl/xl_vmcontrol.c); Xen's SUPPORT.md lists PCI passthrough for PV
# and HVM guests only; nixpkgs' Xen package runs QEMU from PATH (--with-system-qemu).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;

  xl = import ./guests/xl.nix;

  cfg = config.xennix;
  guests = lib.filterAttrs (_: g: g.enable) cfg.guests;
  xenPkg = config.virtualisation.xen.package;
  hostName = config.networking.hostName;

  hostBridge = if cfg.verify.bridge != null then cfg.verify.bridge else "xenbr0";

  # "03:00.0" -> "0000:03:00.0", lower case: the form xl and pciback print.
  fullBDF =
    a:
    let
      l = lib.toLower a;
    in
    if builtins.match "[0-9a-f]{4}:.*" l != null then l else "0000:${l}";

  hexValue = {
    "0" = 0;
    "1" = 1;
    "2" = 2;
    "3" = 3;
    "4" = 4;
    "5" = 5;
    "6" = 6;
    "7" = 7;
    "8" = 8;
    "9" = 9;
    "a" = 10;
    "b" = 11;
    "c" = 12;
    "d" = 13;
    "e" = 14;
    "f" = 15;
  };
  hexAt = s: i: builtins.substring i 1 s;
  # Stable identities from (host name, guest, index): sha256 cut into Xen's OUI 00:16:3e
  # (xl-network-configuration(5)) and into a UUID with the version-5 layout (RFC 4122:
  # version nibble 5, variant bits 10).
  derivedMAC =
    name: i:
    let
      h = builtins.hashString "sha256" "xennix-mac/${hostName}/${name}/${toString i}";
      b = n: builtins.substring (2 * n) 2 h;
    in
    "00:16:3e:${b 0}:${b 1}:${b 2}";
  derivedUUID =
    name:
    let
      h = builtins.hashString "sha256" "xennix-uuid/${hostName}/${name}";
      s = builtins.substring;
      variant = hexAt "89ab" (lib.mod hexValue.${hexAt h 16} 4);
    in
    "${s 0 8 h}-${s 8 4 h}-5${s 13 3 h}-${variant}${s 17 3 h}-${s 20 12 h}";

  validName = n: builtins.match "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?" n != null;
  validMAC = m: builtins.match "[0-9a-f]{2}(:[0-9a-f]{2}){5}" m != null;
  # The I/G bit (least significant bit of the first octet) set means multicast.
  unicastMAC = m: lib.mod (hexValue.${hexAt m 1} or 1) 2 == 0;
  validIfName = n: builtins.match "[A-Za-z0-9_.-]{1,15}" n != null;
  validIPv4 = a: builtins.match "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}" a != null;
  validCIDR =
    a:
    let
      m = builtins.match "([^/]+)/([0-9]+)" a;
    in
    m != null && validIPv4 (builtins.elemAt m 0) && lib.toInt (builtins.elemAt m 1) <= 32;
  validSize = s: builtins.match "[1-9][0-9]*[KMGT]" s != null;
  validVolume = v: builtins.match "[a-z0-9][a-z0-9_-]*" v != null;
  validUUID = u: builtins.match "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}" u != null;

  letters = lib.stringToCharacters "abcdefghijklmnopqrstuvwxyz";

  diskModule =
    { ... }:
    {
      options = {
        target = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K0000000";
          description = ''
            An existing file or block device (a physical disk by its stable
            /dev/disk/by-id/ path). Exactly one of target and volume.
          '';
        };
        volume = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "data";
          description = ''
            A volume created once, on first start, in the guest storage the installer set up
            ({option}`xennix.storage.guests`): a sparse file `<guest>-<volume>.img`, a thin
            LV `xennix-<guest>-<volume>` or a sparse zvol `<guest>-<volume>`. It is never
            resized or deleted automatically; removing the guest keeps it.
          '';
        };
        size = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "20G";
          description = "Size of a new volume: a number and K, M, G or T. Used only when the volume is created.";
        };
        format = mkOption {
          type = types.enum [
            "raw"
            "qcow2"
          ];
          default = "raw";
          description = "raw is served by blkback (no QEMU); qcow2 needs QEMU's qdisk backend.";
        };
        readOnly = mkOption {
          type = types.bool;
          default = false;
          description = "Attach read-only (`access=ro`).";
        };
        cdrom = mkOption {
          type = types.bool;
          default = false;
          description = "Attach as a CD-ROM (`devtype=cdrom`, HVM guests).";
        };
        vdev = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "xvdc";
          description = "The guest's device name; by default xvda, xvdb, … by position (after a NixOS guest's store disk), hdd for a CD-ROM.";
        };
      };
    };

  interfaceModule =
    { ... }:
    {
      options = {
        bridge = mkOption {
          type = types.str;
          default = hostBridge;
          defaultText = lib.literalMD "{option}`xennix.verify.bridge`, else \"xenbr0\"";
          description = "The host bridge the interface is attached to.";
        };
        mac = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "00:16:3e:12:34:56";
          description = "The MAC address; null derives a stable one in Xen's 00:16:3e range from the host name, the guest name and the interface's index.";
        };
        vlan = mkOption {
          type = types.nullOr (types.ints.between 1 4094);
          default = null;
          description = ''
            Put the interface untagged into this VLAN of a VLAN-filtering bridge (Xen's own
            vif-bridge script ignores `vlan=`, so XenNix runs its own vif script). The bridge
            must have `VLANFiltering=yes`.
          '';
        };
        ipv4.address = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "192.168.1.20/24";
          description = "Static IPv4 address with prefix. NixOS guests configure it; for every kind it is listed in guests.json (for `xennix guest ssh`). null: DHCP.";
        };
        ipv4.gateway = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "192.168.1.1";
          description = "IPv4 default gateway of a static address.";
        };
      };
    };

  guestModule =
    { name, config, ... }:
    let
      g = config;
    in
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether the guest exists; false keeps the declaration, and switch stops the guest.";
        };
        kind = mkOption {
          type = types.enum [
            "nixos"
            "iso"
            "image"
          ];
          default = "nixos";
          description = ''
            "nixos": a NixOS guest built with the host from {option}`nixos.config`, booted
            from the host's store; "iso": an HVM guest that boots an installer ISO, then its
            disks; "image": an HVM guest on existing disks.
          '';
        };
        type = mkOption {
          type = types.enum [
            "pvh"
            "hvm"
            "pv"
          ];
          default =
            if g.pci != [ ] || g.kind != "nixos" then
              "hvm"
            else if cfg.xen.hvm then
              "pvh"
            else
              "pv";
          defaultText = lib.literalMD "\"hvm\" with PCI devices or for iso and image guests, else \"pvh\" (\"pv\" when {option}`xennix.xen.hvm` is false)";
          description = "The Xen guest type. PVH guests cannot have PCI devices (Xen SUPPORT.md).";
        };
        uuid = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "The domain's UUID; null derives a stable one from the host name and the guest name.";
        };
        memory = mkOption {
          type = types.ints.positive;
          default = 1024;
          description = "Memory at start, in MiB.";
        };
        maxMemory = mkOption {
          type = types.nullOr types.ints.positive;
          default = null;
          description = "Maximum memory in MiB (`maxmem`, for ballooning); null: the same as memory.";
        };
        vcpus = mkOption {
          type = types.ints.positive;
          default = 1;
          description = "Number of virtual CPUs.";
        };
        cpus = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "2-5";
          description = "Physical CPUs the vCPUs may run on (xl.cfg `cpus`), e.g. \"2-5\" or \"0,2\"; null: any.";
        };
        disks = mkOption {
          type = types.listOf (types.submodule diskModule);
          default = [ ];
          description = "The guest's disks, in order.";
        };
        network = mkOption {
          type = types.listOf (types.submodule interfaceModule);
          default = [ { } ];
          description = "Network interfaces; by default one on the host bridge.";
        };
        pci = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "0000:03:00.0" ];
          description = "PCI devices passed through; each must be in {option}`xennix.xen.passthrough` and in no other guest.";
        };
        firmware = mkOption {
          type = types.enum [
            "bios"
            "uefi"
          ];
          default = "bios";
          description = "HVM firmware: SeaBIOS, or OVMF (UEFI HVM guests do not boot on nixpkgs' Xen today: nixpkgs issue #458070).";
        };
        bootOrder = mkOption {
          type = types.nullOr (
            types.listOf (
              types.enum [
                "disk"
                "cdrom"
                "network"
              ]
            )
          );
          default = null;
          description = "HVM boot order (xl.cfg `boot`); null: cdrom then disk with an ISO, else disk.";
        };
        iso = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = lib.literalExpression "pkgs.fetchurl { url = …; hash = …; }";
          description = "An installer ISO attached as a CD-ROM (hdc): a store path or a file such as /var/lib/xen/iso/debian.iso.";
        };
        vnc.enable = mkOption {
          type = types.bool;
          default = g.type == "hvm";
          defaultText = lib.literalMD "true for HVM guests";
          description = "A VNC console (HVM); reach it through `ssh -L`.";
        };
        vnc.listen = mkOption {
          type = types.str;
          default = "127.0.0.1";
          description = "Address the VNC server listens on; never a public one by default.";
        };
        sshAuthorizedKeys = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "NixOS guests: SSH public keys for root (and sshd is enabled); other kinds: recorded in guests.json only.";
        };
        nixos.config = mkOption {
          type = types.deferredModule;
          default = { };
          description = "The guest's NixOS configuration (kind nixos), a module like `containers.<name>.config`.";
        };
        nixos.specialArgs = mkOption {
          type = types.attrs;
          default = { };
          description = "Extra arguments for the guest's modules.";
        };
        nixos.system = mkOption {
          type = types.unspecified;
          readOnly = true;
          default =
            if g.kind == "nixos" then
              cfg.guestSystem {
                inherit name;
                inherit (g.nixos) specialArgs;
                modules = [
                  ./guests/guest.nix
                  {
                    xennix.guest = {
                      inherit name;
                      interfaces = lib.imap0 (i: n: {
                        mac = resolvedMAC name i n;
                        inherit (n) ipv4;
                      }) g.network;
                      sshAuthorizedKeys = g.sshAuthorizedKeys;
                    };
                  }
                  g.nixos.config
                ];
              }
            else
              null;
          defaultText = lib.literalMD "the evaluated guest (kind nixos), else null";
          description = "Read-only: the guest's evaluated NixOS system (`.config.system.build.toplevel`).";
        };
        after = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "db" ];
          description = "Guests this one starts after (and stops before): ordering only, like XCP-ng's start order.";
        };
        autostart = mkOption {
          type = types.bool;
          default = true;
          description = "Start with the host (wanted by and part of xennix-guests.target).";
        };
        restartIfChanged = mkOption {
          type = types.bool;
          default = true;
          description = "Restart the guest when `nixos-rebuild switch` changes it; false leaves it running on its old configuration (stale) until it is restarted.";
        };
        shutdownTimeout = mkOption {
          type = types.ints.positive;
          default = 300;
          description = "Seconds a graceful `xl shutdown` may take before the guest is destroyed.";
        };
        onCrash = mkOption {
          type = types.enum [
            "destroy"
            "restart"
            "preserve"
            "coredump-destroy"
            "coredump-restart"
          ];
          default = "restart";
          description = "xl.cfg `on_crash`.";
        };
        extraConfig = mkOption {
          type = types.attrsOf types.anything;
          default = { };
          example = {
            viridian = [ "defaults" ];
          };
          description = "Raw xl.cfg keys (strings, integers, booleans or lists of them), written last; a key XenNix writes too is replaced.";
        };
        settings = mkOption {
          type = types.unspecified;
          readOnly = true;
          default = guestSettings name g;
          defaultText = lib.literalMD "the xl.cfg settings XenNix writes";
          description = "Read-only: the guest's xl.cfg as a list of { name; value; }, in order.";
        };
        configFile = mkOption {
          type = types.unspecified;
          readOnly = true;
          default = pkgs.writeText "xl-${name}.cfg" (
            xl.render {
              what = "xennix.guests.${name}";
              comment = "Written by XenNix from xennix.guests.${name}; edit the NixOS configuration, not this file.";
              settings = g.settings;
            }
          );
          defaultText = lib.literalMD "the rendered xl.cfg in the store";
          description = "Read-only: the guest's xl.cfg in the store, what its unit runs `xl create -F` on.";
        };
      };
    };

  resolvedMAC = name: i: n: if n.mac == null then derivedMAC name i else lib.toLower n.mac;
  resolvedUUID = name: g: if g.uuid == null then derivedUUID name else g.uuid;

  # Where a volume lives, by the storage kind the installer set up (storage.nix).
  sg = cfg.storage.guests;
  volumePath =
    name: v:
    {
      directory = "${sg.path}/${name}-${v}.img";
      thin-pool = "/dev/${builtins.head (lib.splitString "/" (toString sg.thinPool))}/xennix-${name}-${v}";
      zvol = "/dev/zvol/${toString sg.zvolParent}/${name}-${v}";
      none = throw "xennix.guests.${name}: a volume needs xennix.storage.guests.kind";
    }
    .${sg.kind};

  nixosBuild = g: g.nixos.system.config.system.build;

  # The disks as xl sees them, in order: a NixOS guest's store image first, then the
  # declared disks, then the ISO.
  guestDisks =
    name: g:
    let
      storeDisks = lib.optional (g.kind == "nixos") {
        target = "${(nixosBuild g).xennixStoreImage}";
        vdev = "xvda";
        format = "raw";
        readOnly = true;
        cdrom = false;
        volume = null;
        size = null;
        role = "store";
        what = "xennix.guests.${name}.nixos (its store image)";
      };
      offset = builtins.length storeDisks;
      declared = lib.imap0 (i: d: {
        target = if d.volume != null then volumePath name d.volume else d.target;
        vdev =
          if d.vdev != null then
            d.vdev
          else if d.cdrom then
            "hdd"
          else if i + offset < 26 then
            "xvd${builtins.elemAt letters (i + offset)}"
          else
            "xvd?";
        inherit (d) format readOnly cdrom volume size;
        role = "disk";
        what = "xennix.guests.${name}.disks.${toString i}";
      }) g.disks;
      iso = lib.optional (g.iso != null) {
        target = "${g.iso}";
        vdev = "hdc";
        format = "raw";
        readOnly = true;
        cdrom = true;
        volume = null;
        size = null;
        role = "iso";
        what = "xennix.guests.${name}.iso";
      };
    in
    storeDisks ++ declared ++ iso;

  diskSpec =
    d:
    xl.diskSpec d.what {
      inherit (d) format vdev target;
      access = if d.readOnly || d.cdrom then "ro" else "rw";
      devtype = if d.cdrom then "cdrom" else null;
      backendtype = if d.format == "qcow2" then "qdisk" else null;
    };

  vifScripts = lib.listToAttrs (
    map (v: lib.nameValuePair (toString v) (vlanVifScript v)) (
      lib.unique (lib.concatMap (g: lib.filter (v: v != null) (map (n: n.vlan) g.network)) (lib.attrValues guests))
    )
  );
  # Xen's vif-bridge attaches the vif to the bridge (tools/hotplug/Linux/vif-bridge) and
  # ignores `vlan=` (nothing under tools/hotplug/ reads it); this wrapper then makes the
  # port an untagged member of one VLAN of a VLAN-filtering bridge. libxl runs it with the
  # action as $1 and the interface name in $vif (libxl_linux.c).
  vlanVifScript =
    vlan:
    pkgs.writeShellScript "xennix-vif-vlan-${toString vlan}" ''
      ${xenPkg}/etc/xen/scripts/vif-bridge "$@"
      case "''${1:-}" in
        online|add)
          ${pkgs.iproute2}/bin/bridge vlan del dev "$vif" vid 1 2>/dev/null || true
          ${pkgs.iproute2}/bin/bridge vlan add dev "$vif" vid ${toString vlan} pvid untagged
          ;;
      esac
    '';

  vifSpec =
    name: i: n:
    xl.vifSpec "xennix.guests.${name}.network.${toString i}" [
      {
        name = "mac";
        value = resolvedMAC name i n;
      }
      {
        name = "bridge";
        value = n.bridge;
      }
      {
        name = "script";
        value = if n.vlan == null then null else "${vifScripts.${toString n.vlan}}";
      }
    ];

  bootLetter = {
    disk = "c";
    cdrom = "d";
    network = "n";
  };

  guestSettings =
    name: g:
    let
      hvm = g.type == "hvm";
      build = nixosBuild g;
      toplevel = build.toplevel;
      kernelParams = g.nixos.system.config.boot.kernelParams;
      order = if g.bootOrder != null then g.bootOrder else if g.iso != null then [ "cdrom" "disk" ] else [ "disk" ];
      s = n: v: {
        name = n;
        value = v;
      };
      generated =
        [
          (s "name" name)
          (s "uuid" (resolvedUUID name g))
          (s "type" g.type)
          (s "memory" g.memory)
          (s "maxmem" (if g.maxMemory == null || g.maxMemory == g.memory then null else g.maxMemory))
          (s "vcpus" g.vcpus)
          (s "cpus" g.cpus)
        ]
        ++ lib.optionals (g.kind == "nixos") [
          (s "kernel" "${toplevel}/kernel")
          (s "ramdisk" "${toplevel}/initrd")
          (s "cmdline" (
            lib.concatStringsSep " " (
              [
                "init=${toplevel}/init"
                "regInfo=${build.xennixRegInfo}/registration"
              ]
              ++ kernelParams
            )
          ))
        ]
        ++ lib.optionals (hvm && g.kind != "nixos") [
          (s "boot" (lib.concatMapStrings (o: bootLetter.${o}) order))
        ]
        ++ lib.optionals hvm [
          (s "bios" (if g.firmware == "uefi" then "ovmf" else "seabios"))
          (s "serial" "pty")
          (s "vnc" g.vnc.enable)
          (s "vnclisten" (if g.vnc.enable then g.vnc.listen else null))
        ]
        ++ [
          (s "disk" (map diskSpec (guestDisks name g)))
          (s "vif" (lib.imap0 (vifSpec name) g.network))
          (s "pci" (if g.pci == [ ] then null else map (p: xl.pciSpec "xennix.guests.${name}.pci" (fullBDF p) [ ]) g.pci))
          (s "on_poweroff" "destroy")
          (s "on_reboot" "restart")
          (s "on_crash" g.onCrash)
        ];
      extraNames = lib.attrNames g.extraConfig;
    in
    lib.filter (x: !(lib.elem x.name extraNames)) generated
    ++ map (n: s n g.extraConfig.${n}) extraNames;

  needsQemu = name: g: g.type == "hvm" || lib.any (d: d.format == "qcow2") (guestDisks name g);

  unitName = name: "xen-guest-${name}";
  # systemd.unit(5) path escaping of an interface name: "-" becomes \x2d.
  bridgeDevice = b: "sys-subsystem-net-devices-${lib.replaceStrings [ "-" ] [ "\\x2d" ] b}.device";

  stateDir = "/run/xennix/guests";
  gcrootDir = "/nix/var/nix/gcroots/xennix";

  # Shared by the three scripts: is the running domain of this name the one this unit
  # started? Only then does the unit shut it down or destroy it. The marker <name>.uuid
  # exists from ExecStartPre until ExecStopPost and holds the uuid of the cfg the unit
  # booted (a later generation's scripts may stop a domain an older cfg created).
  scriptHead = name: g: ''
    set -euo pipefail
    name=${lib.escapeShellArg name}
    uuid=${lib.escapeShellArg (resolvedUUID name g)}
    marker=${stateDir}/"$name".uuid
    # Prints the UUID of the running domain called $name, nothing when there is none.
    domuuid() {
      xl list -l "$name" 2>/dev/null | jq -r '.[0].config.c_info.uuid // empty' || true
    }
    ours() {
      [ -e "$marker" ] && [ "$(domuuid)" = "$(cat "$marker")" ]
    }
  '';

  createVolume =
    name: d:
    let
      p = lib.escapeShellArg d.target;
      size = lib.escapeShellArg (toString d.size);
    in
    {
      directory = ''
        if [ ! -e ${p} ]; then
          echo "xennix: $name: creating the volume ${d.target} (${toString d.size}, sparse)"
          mkdir -p "$(dirname ${p})"
          truncate -s ${size} ${p}
        fi
      '';
      thin-pool =
        let
          vg = builtins.head (lib.splitString "/" (toString sg.thinPool));
          lv = "xennix-${name}-${d.volume}";
        in
        ''
          if ! lvs ${lib.escapeShellArg "${vg}/${lv}"} >/dev/null 2>&1; then
            echo "xennix: $name: creating the thin volume ${vg}/${lv} (${toString d.size})"
            lvcreate -V ${size} -T ${lib.escapeShellArg (toString sg.thinPool)} -n ${lib.escapeShellArg lv}
          fi
        '';
      zvol = ''
        if ! zfs list -H -o name ${lib.escapeShellArg "${toString sg.zvolParent}/${name}-${d.volume}"} >/dev/null 2>&1; then
          echo "xennix: $name: creating the zvol ${toString sg.zvolParent}/${name}-${d.volume} (${toString d.size}, sparse)"
          zfs create -s -V ${size} ${lib.escapeShellArg "${toString sg.zvolParent}/${name}-${d.volume}"}
        fi
      '';
      none = "";
    }
    .${sg.kind};

  # The unit's ExecStartPre, ExecStop and ExecStopPost, as NixOS' preStart, preStop and
  # postStop (nixos/lib/systemd-lib.nix writes each to a script run by bash with the unit's
  # path).
  prepareScript =
    name: g:
    (
      scriptHead name g
      + ''
        cfg=${g.configFile}
        mkdir -p ${stateDir} ${gcrootDir}
        if xl domid "$name" >/dev/null 2>&1; then
          if ours; then
            echo "xennix: $name: destroying the domain an earlier run of ${unitName name}.service left behind"
            xl destroy "$name"
          else
            echo "xennix: a domain named $name is running that ${unitName name}.service did not start (xl create by hand, or xendomains): leaving it alone, not starting the declared guest" >&2
            exit 3
          fi
        fi
      ''
      + lib.concatMapStrings (createVolume name) (lib.filter (d: d.volume != null) (guestDisks name g))
      + lib.concatMapStrings (p: ''
        if ! xl pci-assignable-list | grep -q ${lib.escapeShellArg "^${fullBDF p}"}; then
          xl pci-assignable-add ${lib.escapeShellArg (fullBDF p)}
        fi
      '') g.pci
      + ''
        echo "$uuid" > "$marker"
        ln -sfn "$cfg" ${stateDir}/"$name".booted.cfg
        ln -sfn "$cfg" ${gcrootDir}/"$name"-booted
      ''
    );

  stopScript =
    name: g:
    (
      scriptHead name g
      + ''
        if ! ours; then
          exit 0
        fi
        if timeout ${toString g.shutdownTimeout} xl shutdown -w -F "$name"; then
          exit 0
        fi
        echo "xennix: $name did not shut down within ${toString g.shutdownTimeout} s: destroying it" >&2
        xl destroy "$name" || true
      ''
    );

  cleanupScript =
    name: g:
    (
      scriptHead name g
      + ''
        if [ ! -e "$marker" ]; then
          exit 0
        fi
        if ours; then
          xl destroy "$name" || true
        fi
        rm -f "$marker" ${stateDir}/"$name".booted.cfg ${gcrootDir}/"$name"-booted
      ''
    );

  bridgesOf = g: lib.unique (map (n: n.bridge) g.network);

  guestUnit = name: g: {
    description = "Xen guest ${name} (xennix.guests.${name})";
    after = [
      "xenstored.service"
      "xenconsoled.service"
      "xen-init-dom0.service"
      "xen-qemu-dom0-disk-backend.service"
      "xendomains.service"
      "network.target"
    ]
    ++ map bridgeDevice (bridgesOf g)
    ++ map (n: "${unitName n}.service") g.after;
    requires = [ "xenstored.service" ] ++ map bridgeDevice (bridgesOf g);
    wantedBy = lib.optional g.autostart "xennix-guests.target";
    partOf = lib.optional g.autostart "xennix-guests.target";
    path = [
      xenPkg
      pkgs.jq
      pkgs.coreutils
      pkgs.gnugrep
      pkgs.util-linux
    ]
    ++ lib.optional (needsQemu name g) config.virtualisation.xen.qemu.package
    ++ lib.optional (sg.kind == "thin-pool") pkgs.lvm2.bin
    ++ lib.optional (sg.kind == "zvol") config.boot.zfs.package;
    restartIfChanged = g.restartIfChanged;
    unitConfig.ConditionPathExists = "/proc/xen/capabilities";
    preStart = prepareScript name g;
    preStop = stopScript name g;
    postStop = cleanupScript name g;
    serviceConfig = {
      Type = "simple";
      ExecStart = "${xenPkg}/bin/xl create -F ${g.configFile}";
      TimeoutStopSec = g.shutdownTimeout + 30;
      KillMode = "mixed";
      # xl itself restarts a guest that reboots or crashes (on_reboot, on_crash); the unit
      # restarts only when the xl monitor dies of a signal. Not on a plain failure: the
      # prepare step's refusal to start next to a hand-made domain (exit 3) must stay.
      Restart = "on-abnormal";
      RestartSec = 10;
    };
  };

  manifestEntry = name: g: {
    inherit (g)
      kind
      type
      memory
      vcpus
      autostart
      restartIfChanged
      ;
    uuid = resolvedUUID name g;
    maxMemory = if g.maxMemory == null then g.memory else g.maxMemory;
    unit = "${unitName name}.service";
    configFile = "${g.configFile}";
    link = "/etc/xen/xennix/${name}.cfg";
    # The cfg the running domain was created from, while its unit is active: it differs
    # from link when the guest changed and restartIfChanged is false (stale).
    booted = "${stateDir}/${name}.booted.cfg";
    pci = map fullBDF g.pci;
    disks = map (d: {
      inherit (d)
        target
        format
        vdev
        readOnly
        cdrom
        volume
        role
        ;
    }) (guestDisks name g);
    interfaces = lib.imap0 (i: n: {
      inherit (n) bridge vlan;
      mac = resolvedMAC name i n;
      ipv4 = n.ipv4.address;
    }) g.network;
    toplevel = if g.kind == "nixos" then "${(nixosBuild g).toplevel}" else null;
  };

  # Assertions over all enabled guests, each naming the option to fix.
  allMACs = lib.concatLists (lib.mapAttrsToList (name: g: lib.imap0 (resolvedMAC name) g.network) guests);
  allPCI = lib.concatLists (lib.mapAttrsToList (_: g: map fullBDF g.pci) guests);
  dupes = xs: lib.unique (lib.filter (x: lib.count (y: y == x) xs > 1) xs);
  passthrough = map fullBDF cfg.xen.passthrough;

  reservedKeys = [
    "name"
    "uuid"
    "on_poweroff"
  ];

  guestAssertions =
    name: g:
    let
      p = "xennix.guests.${name}";
      disks = lib.imap0 (i: d: { inherit i d; }) g.disks;
      vdevs = map (d: d.vdev) (guestDisks name g);
    in
    [
      {
        assertion = validName name;
        message = "${p}: the guest name must be one lower-case DNS label (a-z, 0-9 and -, at most 63 characters, no - at either end): it is the domain name and the guest's host name.";
      }
      {
        assertion = g.kind != "iso" || g.iso != null;
        message = "${p}: kind = \"iso\" needs ${p}.iso, the installer image to boot.";
      }
      {
        assertion = g.kind != "image" || g.disks != [ ];
        message = "${p}: kind = \"image\" needs at least one disk in ${p}.disks to boot from.";
      }
      {
        assertion = g.type != "pvh" || g.pci == [ ];
        message = "${p}: PVH guests cannot have PCI devices (Xen supports passthrough to PV and HVM guests only): set ${p}.type = \"hvm\" or remove ${p}.pci.";
      }
      {
        assertion = g.type != "hvm" || cfg.xen.hvm;
        message = "${p}: type = \"hvm\" needs hardware virtualisation, and xennix.xen.hvm is false.";
      }
      {
        assertion = g.kind == "nixos" || g.type == "hvm";
        message = "${p}: kind = \"${g.kind}\" guests boot their own boot loader, which needs type = \"hvm\".";
      }
      {
        assertion = g.uuid == null || validUUID g.uuid;
        message = "${p}.uuid: \"${toString g.uuid}\" is not a lower-case UUID like 212f4fa2-02e9-50af-ac41-fbd56f887cc7.";
      }
      {
        assertion = g.maxMemory == null || g.maxMemory >= g.memory;
        message = "${p}.maxMemory (${toString g.maxMemory} MiB) is below ${p}.memory (${toString g.memory} MiB).";
      }
      {
        # The unit finds its domain by name and uuid, and needs the domain gone after a
        # poweroff for `xl create -F` to end.
        assertion = lib.all (k: !(g.extraConfig ? ${k})) reservedKeys;
        message = "${p}.extraConfig: ${toString (lib.filter (k: g.extraConfig ? ${k}) reservedKeys)} cannot be set there (the guest's unit depends on them); name comes from the attribute name, uuid from ${p}.uuid.";
      }
      {
        assertion = lib.all (n: guests ? ${n} && n != name) g.after;
        message = "${p}.after: ${toString (lib.filter (n: !(guests ? ${n}) || n == name) g.after)} is not another enabled guest.";
      }
      {
        assertion = lib.length vdevs <= 26;
        message = "${p}: ${toString (lib.length vdevs)} disks, but XenNix names at most 26 (xvda to xvdz).";
      }
      {
        assertion = lib.length vdevs == lib.length (lib.unique vdevs);
        message = "${p}: two disks use the same vdev (${toString (dupes vdevs)}); set ${p}.disks.*.vdev.";
      }
    ]
    ++ lib.concatMap (
      { i, d }:
      let
        dp = "${p}.disks.${toString i}";
      in
      [
        {
          assertion = (d.target == null) != (d.volume == null);
          message = "${dp}: give exactly one of target (an existing file or device) and volume (created in xennix.storage.guests).";
        }
        {
          assertion = d.target == null || lib.hasPrefix "/" d.target;
          message = "${dp}.target: \"${toString d.target}\" is not an absolute path (a physical disk is best given as /dev/disk/by-id/…).";
        }
        {
          assertion = d.volume == null || validVolume d.volume;
          message = "${dp}.volume: \"${toString d.volume}\" is not a volume name (a-z, 0-9, _ and -, starting with a letter or digit).";
        }
        {
          assertion = d.volume == null || (d.size != null && validSize d.size);
          message = "${dp}.size: a volume needs a size like \"20G\" (a number and K, M, G or T), got ${if d.size == null then "null" else "\"${d.size}\""}.";
        }
        {
          assertion = d.volume == null || sg.kind != "none";
          message = "${dp}.volume: xennix.storage.guests.kind is \"none\", so there is nowhere to create the volume; use target instead.";
        }
      ]
    ) disks
    ++ lib.concatLists (
      lib.imap0 (
        i: n:
        let
          np = "${p}.network.${toString i}";
          mac = resolvedMAC name i n;
        in
        [
          {
            assertion = validMAC mac && unicastMAC mac;
            message = "${np}.mac: \"${mac}\" is not a unicast MAC address like 00:16:3e:12:34:56.";
          }
          {
            assertion = validIfName n.bridge;
            message = "${np}.bridge: \"${n.bridge}\" is not an interface name (at most 15 of A-Z, a-z, 0-9, _, . and -).";
          }
          {
            assertion = n.ipv4.address == null || validCIDR n.ipv4.address;
            message = "${np}.ipv4.address: \"${toString n.ipv4.address}\" is not an IPv4 address with a prefix, like 192.168.1.20/24.";
          }
          {
            assertion = n.ipv4.gateway == null || (validIPv4 n.ipv4.gateway && n.ipv4.address != null);
            message = "${np}.ipv4.gateway: want an IPv4 address like 192.168.1.1, and a static ipv4.address beside it.";
          }
        ]
      ) g.network
    )
    ++ map (d: {
      assertion = xl.validBDF (fullBDF d) && lib.elem (fullBDF d) passthrough;
      message = "${p}.pci: ${d} must be a PCI address like 0000:03:00.0 that is also in xennix.xen.passthrough, so that dom0's drivers never claim it.";
    }) g.pci;
in
{
  options.xennix.guests = mkOption {
    type = types.attrsOf (types.submodule guestModule);
    default = { };
    description = ''
      Xen guests declared with the host. Each is an xl.cfg in the store, a unit
      xen-guest-<name>.service and an entry of /etc/xen/xennix/guests.json. Domains started
      by hand (`xl create`, /etc/xen/auto) are never touched.
    '';
  };

  options.xennix.xen.hvm = mkOption {
    type = types.bool;
    default = true;
    description = "Whether the CPU has hardware virtualisation (VT-x or AMD-V) for HVM and PVH guests; false makes NixOS guests PV and refuses HVM ones.";
  };

  options.xennix.guestSystem = mkOption {
    type = types.functionTo types.attrs;
    internal = true;
    default =
      {
        name,
        modules,
        specialArgs,
      }:
      import "${pkgs.path}/nixos/lib/eval-config.nix" {
        # As nixos-containers.nix does: the host's nixpkgs; system = null drops the
        # non-hermetic builtins.currentSystem default. nixpkgs.pkgs shares the host's
        # package set (and overlays), so a guest costs no second nixpkgs evaluation.
        system = null;
        inherit specialArgs;
        prefix = [
          "xennix"
          "guests"
          name
          "nixos"
          "config"
        ];
        modules = modules ++ [
          {
            nixpkgs.pkgs = lib.mkDefault pkgs;
            nixpkgs.hostPlatform = lib.mkDefault pkgs.stdenv.hostPlatform;
          }
        ];
      };
    defaultText = lib.literalMD "nixpkgs' `nixos/lib/eval-config.nix` with the host's pkgs";
    description = "Internal: evaluates a NixOS guest from its modules (tests replace it).";
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        # xendomains (tools/hotplug/Linux/init.d/sysconfig.xendomains.in) saves running
        # domains' memory to disk at host shutdown and restores them at boot; a restored
        # domain would hold a declared guest's name with an old config. Hand-made guests in
        # /etc/xen/auto are still started and shut down by it.
        virtualisation.xen.domains.extraConfig = lib.mkDefault ''
          XENDOMAINS_SAVE=
          XENDOMAINS_RESTORE=false
        '';

        systemd.targets.xennix-guests = {
          description = "Xen guests declared in xennix.guests";
          wantedBy = [ "multi-user.target" ];
        };
      }
      (lib.mkIf (guests != { }) {
        environment.etc =
          lib.mapAttrs' (name: g: lib.nameValuePair "xen/xennix/${name}.cfg" { source = g.configFile; }) guests
          // {
            "xen/xennix/guests.json".text = builtins.toJSON {
              version = 1;
              guests = lib.mapAttrs manifestEntry guests;
            };
          };

        systemd.services = lib.mapAttrs' (name: g: lib.nameValuePair (unitName name) (guestUnit name g)) guests;

        systemd.tmpfiles.rules = [
          "d ${stateDir} 0755 root root -"
          "d ${gcrootDir} 0755 root root -"
        ];

        assertions =
          lib.concatLists (lib.mapAttrsToList guestAssertions guests)
          ++ [
            {
              assertion = dupes allMACs == [ ];
              message = "xennix.guests: the MAC addresses ${toString (dupes allMACs)} are used by more than one interface; set network.*.mac.";
            }
            {
              assertion = dupes allPCI == [ ];
              message = "xennix.guests: the PCI devices ${toString (dupes allPCI)} are given to more than one guest; a device can belong to one guest only.";
            }
          ];

        warnings =
          lib.concatLists (
            lib.mapAttrsToList (
              name: g:
              lib.optional (g.type == "hvm" && g.firmware == "uefi") "xennix.guests.${name}.firmware = \"uefi\": UEFI HVM guests do not boot on nixpkgs' Xen today (nixpkgs issue #458070)."
              ++ lib.optional (lib.any (n: n.vlan != null) g.network) "xennix.guests.${name}: an interface has a vlan; its bridge must be VLAN-filtering (systemd.network.netdevs.<bridge>.bridgeConfig.VLANFiltering = true)."
            ) guests
          );
      })
    ]
  );
}
