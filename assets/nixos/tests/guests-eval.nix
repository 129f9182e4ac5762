# Evaluates example hosts with guests (xennix.guests) and prints what the guests module
# makes of them: the xl.cfg files, their settings, the units, the manifest, the xendomains
# defaults, the failed assertions and warnings, and what each NixOS guest's own evaluation
# (guests/guest.nix plus its nixos.config) set.
#
#   nix-instantiate --eval --strict --json assets/nixos/tests/guests-eval.nix \
#     --argstr mode shim     # guests.nix alone, with the lib shim and mini-modules.nix
#   NIXPKGS_LIB=… nix-instantiate --eval --strict --json assets/nixos/tests/guests-eval.nix \
#     --argstr mode real     # host.nix with the real lib.evalModules and stubs.nix
#
# assets/guests_test.go compares both with the goldens under assets/testdata/guests/.
# `pkgs` is a stub: derivations are names, and writeText keeps its text.
{
  mode ? "shim",
  # One of `refused` below: evaluate only its cfgs, which must throw (the writer's refusal).
  refuse ? null,
}:
let
  shim = import ./lib-shim.nix;
  libPath = builtins.getEnv "NIXPKGS_LIB";
  lib =
    if mode == "shim" then
      shim
    else if libPath == "" then
      throw "guests-eval.nix: mode real needs NIXPKGS_LIB (a checkout of nixpkgs' lib)"
    else
      import "${libPath}/lib";
  miniEval = import ./mini-modules.nix shim;

  fakeDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
    bin = fakeDrv "${name}-bin";
    out = fakeDrv name;
  };
  pkgs = {
    runCommand = name: _env: _script: fakeDrv name;
    writeShellScript = name: text: fakeDrv name // { inherit text; };
    writeShellApplication = args: fakeDrv args.name;
    writeText = name: text: fakeDrv name // { inherit text; };
    closureInfo = { rootPaths }: fakeDrv "closure-info";
    path = throw "guests-eval.nix: pkgs.path (the guests use the stub xennix.guestSystem)";
  }
  // builtins.listToAttrs (
    map (n: {
      name = n;
      value = fakeDrv n;
    }) [ "btrfs-progs" "coreutils" "erofs-utils" "ethtool" "gnugrep" "htop" "iproute2" "jq" "lvm2" "pciutils" "usbutils" "util-linux" ]
  );

  guestStubs = import ./guest-stubs.nix { inherit lib fakeDrv; };

  guestSystem =
    {
      name,
      modules,
      specialArgs,
    }:
    if mode == "shim" then
      miniEval {
        modules = guestStubs ++ modules;
        specialArgs = specialArgs // {
          inherit pkgs;
        };
      }
    else
      lib.evalModules {
        modules = guestStubs ++ modules;
        specialArgs = specialArgs // {
          inherit pkgs;
        };
      };

  stubs = import ./stubs.nix { inherit lib fakeDrv; };

  # In shim mode only guests.nix is loaded: these stand for what the other host modules
  # declare (verify.nix's bridge default, storage.nix's defaults) and NixOS provides.
  shimHost = {
    xennix.verify.bridge = shim.mkDefault "xenbr0";
    xennix.xen.passthrough = shim.mkDefault [ ];
    xennix.storage.guests = shim.mkDefault {
      kind = "directory";
      path = "/var/lib/xen/images";
      thinPool = null;
      zvolParent = null;
    };
    networking.hostName = shim.mkOptionDefault "nixos";
    virtualisation.xen.package = fakeDrv "xen";
    virtualisation.xen.qemu.package = fakeDrv "qemu-xen";
    boot.zfs.package = fakeDrv "zfs";
  };

  base = {
    networking.hostName = lib.mkDefault "xenhost";
    systemd.network.netdevs."20-xenbr0".netdevConfig = {
      Name = "xenbr0";
      Kind = "bridge";
    };
    fileSystems."/" = {
      device = "/dev/disk/by-partlabel/disk-main-root";
      fsType = "ext4";
    };
    xennix.enable = true;
    xennix.guestSystem = guestSystem;
  };

  hosts = {
    # The guests of the flake's example host with guests (example-guests/).
    flake-example.imports = [ ./example-guests/guests.nix ];

    # A NixOS guest (PVH, its store image on xvda, a volume, a static address, a key), an
    # installer-ISO guest (HVM, UEFI, PCI, VNC, qcow2, extraConfig) and a guest on existing
    # disks (a physical disk, a file whose name has commas and spaces, a VLAN, pinning).
    example = {
      xennix.xen.passthrough = [
        "0000:03:00.0"
        "0000:04:00.1"
      ];
      xennix.guests = {
        # A NixOS guest with a PCI device: HVM by default, still direct kernel boot.
        gpu = {
          pci = [ "04:00.1" ];
          memory = 2048;
          network = [ ];
        };
        web = {
          memory = 1024;
          vcpus = 2;
          disks = [
            {
              volume = "var";
              size = "10G";
            }
          ];
          network = [
            {
              ipv4.address = "192.168.1.20/24";
              ipv4.gateway = "192.168.1.1";
            }
          ];
          sshAuthorizedKeys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnly root@admin" ];
          nixos.config = {
            # A command-line value with a quote and a backslash, which the writer escapes.
            boot.kernelParams = [ "xennix.note=\"a\\b\"" ];
            fileSystems."/var" = {
              device = "/dev/xvdb";
              fsType = "ext4";
              autoFormat = true;
            };
          };
        };
        win = {
          kind = "iso";
          after = [ "web" ];
          iso = "/var/lib/xen/iso/win-server.iso";
          firmware = "uefi";
          memory = 4096;
          maxMemory = 8192;
          vcpus = 4;
          pci = [ "03:00.0" ];
          disks = [
            {
              target = "/var/lib/xen/images/win.qcow2";
              format = "qcow2";
            }
          ];
          extraConfig = {
            viridian = [ "defaults" ];
            vnclisten = "127.0.0.2";
          };
        };
        legacy = {
          kind = "image";
          memory = 2048;
          cpus = "2-3";
          autostart = false;
          restartIfChanged = false;
          onCrash = "preserve";
          shutdownTimeout = 60;
          disks = [
            { target = "/dev/disk/by-id/ata-OLD_DISK_SERIAL123"; }
            {
              target = "/var/lib/xen/images/odd, name=x.img";
              readOnly = true;
            }
          ];
          network = [
            {
              vlan = 20;
              mac = "00:16:3E:AA:BB:CC";
            }
            { bridge = "xenbr1"; }
          ];
        };
        off = {
          enable = false;
          kind = "iso";
        };
      };
    };

    # Volumes in an LVM thin pool, and a host without hardware virtualisation (PV guests).
    thin = {
      xennix.storage.guests = {
        kind = "thin-pool";
        thinPool = "vg0/thinpool";
      };
      xennix.xen.hvm = false;
      xennix.guests.tiny.disks = [
        {
          volume = "data";
          size = "2G";
        }
      ];
    };

    # One broken guest per assertion (see guests_test.go for the message each must give).
    bad = {
      xennix.storage.guests.kind = "none";
      xennix.xen.passthrough = [ "0000:04:00.0" ];
      xennix.xen.hvm = false;
      xennix.guests = {
        "Bad_Name" = { };
        noiso.kind = "iso";
        nodisk.kind = "image";
        pvhpci = {
          type = "pvh";
          pci = [ "0000:04:00.0" ];
        };
        hidden = {
          type = "hvm";
          pci = [
            "0000:05:00.0"
            "0000:04:00.0"
          ];
        };
        twosources.disks = [
          {
            target = "/dev/sdb";
            volume = "x";
            size = "1G";
          }
        ];
        nosource.disks = [ { } ];
        relative.disks = [ { target = "images/a.img"; } ];
        nowhere.disks = [
          {
            volume = "v";
            size = "1G";
          }
        ];
        nosize.disks = [ { volume = "w"; } ];
        mac1.network = [ { mac = "00:16:3e:00:00:01"; } ];
        mac2.network = [ { mac = "00:16:3e:00:00:01"; } ];
        multicast.network = [ { mac = "01:16:3e:00:00:02"; } ];
        badip.network = [
          {
            ipv4.address = "192.168.1.300/24";
            ipv4.gateway = "192.168.1.1";
          }
        ];
        badmem = {
          memory = 2048;
          maxMemory = 1024;
        };
        pvimage = {
          kind = "image";
          type = "pvh";
          disks = [ { target = "/dev/sdc"; } ];
        };
        baduuid.uuid = "not-a-uuid";
        rename.extraConfig = {
          name = "other";
          on_poweroff = "preserve";
        };
        badbridge.network = [ { bridge = "a bridge name that is far too long"; } ];
        nogateway.network = [ { ipv4.gateway = "192.168.1.1"; } ];
        order.after = [
          "order"
          "nosuch"
        ];
        toomany.disks = builtins.genList (i: { target = "/dev/disk${toString i}"; }) 26;
        samevdev.disks = [
          {
            target = "/dev/sdd";
            vdev = "xvda";
          }
        ];
      };
    };
  };

  # Values the xl writer must refuse while rendering the cfg (the assertions catch most of
  # them too, but the writer never relies on that).
  refused = {
    key.xennix.guests.evil.extraConfig."Bad-Key" = 1;
    float.xennix.guests.evil.extraConfig.shadow_memory = 1.5;
    control.xennix.guests.evil.extraConfig.cmdline = "a${builtins.fromJSON "\"\\u0007\""}b";
    vif.xennix.guests.evil.network = [ { mac = "00:16:3e:00:00:01,script=/tmp/evil"; } ];
    bridge.xennix.guests.evil.network = [ { bridge = "xenbr0,script=/tmp/evil"; } ];
    vdev.xennix.guests.evil.disks = [
      {
        target = "/dev/sdb";
        vdev = "xvdb,target=/etc/shadow";
      }
    ];
    pci = {
      xennix.xen.passthrough = [ "0000:03:00.0,seize=1" ];
      xennix.guests.evil.pci = [ "0000:03:00.0,seize=1" ];
      xennix.guests.evil.type = "hvm";
    };
  };

  evalHost =
    name: host:
    let
      modules = [
        base
        host
      ];
      eval =
        if mode == "shim" then
          miniEval {
            modules = [
              ../guests.nix
              shimHost
            ]
            ++ modules;
            specialArgs = {
              inherit pkgs;
            };
          }
        else
          lib.evalModules {
            modules = (stubs { xenGeneration = "new"; }) ++ [ ../host.nix ] ++ modules;
            specialArgs = {
              inherit pkgs;
              modulesPath = throw "modulesPath";
            };
          };
      c = eval.config;
      ours = m: builtins.substring 0 14 m == "xennix.guests." || builtins.substring 0 14 m == "xennix.guests:";
      etc = lib.filterAttrs (n: _: builtins.substring 0 11 n == "xen/xennix/") c.environment.etc;
      units = lib.filterAttrs (n: _: builtins.substring 0 10 n == "xen-guest-") c.systemd.services;
      enabled = lib.filterAttrs (_: g: g.enable) c.xennix.guests;
      nixosGuests = lib.filterAttrs (_: g: g.kind == "nixos") enabled;
    in
    {
      failedAssertions = builtins.filter ours (map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions));
      warnings = builtins.filter ours c.warnings;
    }
    // (
      if name == "bad" then
        { }
      else
        {
          xendomains = c.virtualisation.xen.domains.extraConfig;
          target = c.systemd.targets.xennix-guests;
          tmpfiles = builtins.filter (r: builtins.substring 0 8 r == "d /run/x" || builtins.substring 0 8 r == "d /nix/v") c.systemd.tmpfiles.rules;
          cfgs = lib.mapAttrs (_: e: e.source.text) (lib.filterAttrs (n: _: n != "xen/xennix/guests.json") etc);
          manifest = builtins.fromJSON etc."xen/xennix/guests.json".text;
          settings = lib.mapAttrs (_: g: g.settings) enabled;
          units = lib.mapAttrs (
            _: u:
            {
              inherit (u)
                description
                after
                requires
                wantedBy
                partOf
                restartIfChanged
                unitConfig
                serviceConfig
                preStart
                preStop
                postStop
                ;
              path = map (p: p.name) u.path;
            }
          ) units;
          guests = lib.mapAttrs (
            _: g:
            let
              gc = g.nixos.system.config;
            in
            {
              inherit (gc.networking) hostName useNetworkd;
              inherit (gc.boot) kernelParams;
              initrdModules = gc.boot.initrd.kernelModules;
              fileSystems = lib.mapAttrs (_: f: removeAttrs f [ "autoFormat" ]) gc.fileSystems;
              networks = gc.systemd.network.networks;
              rootKeys = gc.users.users.root.openssh.authorizedKeys.keys;
              sshd = gc.services.openssh.enable;
            }
          ) nixosGuests;
        }
    );
in
if refuse == null then
  lib.mapAttrs evalHost hosts
else
  (evalHost refuse refused.${refuse}).cfgs
