# Evaluates the XenNix host modules with the REAL module system (lib.evalModules from
# nixpkgs' lib, e.g. a checkout of github:nix-community/nixpkgs.lib) against stub
# declarations of the NixOS options they set, for a few example hosts, and prints the
# resulting values. No nixpkgs package set is needed: `pkgs` is a stub whose derivations are
# names only.
#
#   NIXPKGS_LIB=/path/to/nixpkgs.lib nix-instantiate --eval --strict --json \
#     assets/nixos/tests/eval-real.nix
#
# The stubs are declared with the option names of nixpkgs (see the comments), so a typo or a
# removed option in the modules fails here as "The option `…' does not exist". Types are
# `anything` except where the modules read a value back.
let
  libPath = builtins.getEnv "NIXPKGS_LIB";
  lib =
    if libPath == "" then
      throw "eval-real.nix: set NIXPKGS_LIB to a checkout of nixpkgs' lib (github:nix-community/nixpkgs.lib)"
    else
      import "${libPath}/lib";

  fakeDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
    bin = fakeDrv "${name}-bin";
  };
  pkgs = {
    runCommand = name: _env: _script: fakeDrv name;
    writeShellScript = name: _text: fakeDrv name;
    writeShellApplication = args: fakeDrv args.name;
    writeText = name: _text: fakeDrv name;
  }
  // lib.genAttrs [
    "btrfs-progs"
    "coreutils"
    "ethtool"
    "gnugrep"
    "iproute2"
    "jq"
    "lvm2"
    "pciutils"
    "rsync"
    "usbutils"
    "util-linux"
  ] fakeDrv;

  stubs = import ./stubs.nix { inherit lib fakeDrv; };

  examples = {
    # UEFI, ext4, systemd-boot, fixed dom0 memory, a serial console, one passthrough device.
    uefi-ext4 = {
      xenGeneration = "new";
      module = {
        fileSystems."/" = {
          device = "/dev/disk/by-partlabel/disk-main-root";
          fsType = "ext4";
        };
        fileSystems."/boot" = {
          device = "/dev/disk/by-partlabel/disk-main-ESP";
          fsType = "vfat";
        };
        systemd.network.netdevs."20-xenbr0".netdevConfig = {
          Name = "xenbr0";
          Kind = "bridge";
        };
        xennix = {
          enable = true;
          boot.serialConsole = "ttyS0,115200";
          xen = {
            dom0Memory = 4096;
            dom0VCPUs = 4;
            iommu = "required";
            passthrough = [ "03:00.0" ];
            extraParams = [ "sched=credit2" ];
          };
          firstBoot.commands = [ "echo hello" ];
        };
      };
    };

    # BIOS, btrfs, Limine, impermanence btrfs.
    bios-btrfs-impermanence = {
      xenGeneration = "new";
      module = {
        fileSystems =
          lib.genAttrs [ "/" "/nix" "/persist" "/var/log" "/var/lib/xen/images" ] (mp: {
            device = "/dev/disk/by-partlabel/disk-main-root";
            fsType = "btrfs";
          })
          // {
            "/boot" = {
              device = "/dev/disk/by-partlabel/disk-main-ESP";
              fsType = "vfat";
            };
          };
        xennix = {
          enable = true;
          boot = {
            firmware = "bios";
            biosDevice = "/dev/disk/by-id/ata-TEST_DISK_0001";
            biosPartitionIndex = 1;
          };
          xen = {
            dom0Memory = 2048;
            dom0MaxMemory = 4096;
            autoballoon = false;
          };
          impermanence = {
            preset = "btrfs";
            rollback.device = "/dev/disk/by-partlabel/disk-main-root";
            directories = [ "/home" ];
          };
        };
      };
    };

    # The UEFI host on the older Xen module (nixpkgs 24.11/25.05): bootParams, no Limine.
    uefi-ext4-old-xen-module = {
      xenGeneration = "old";
      module = examples.uefi-ext4.module;
    };

    # A BIOS host on the older Xen module must fail with the assertion, not evaluate.
    bios-old-xen-module = {
      xenGeneration = "old";
      module = {
        fileSystems."/" = {
          device = "/dev/sda2";
          fsType = "ext4";
        };
        xennix = {
          enable = true;
          boot.firmware = "bios";
          boot.biosDevice = "/dev/sda";
          xen.dom0Memory = 2048;
        };
      };
    };
  };

  evalExample =
    name: ex:
    let
      eval = lib.evalModules {
        modules = (stubs { inherit (ex) xenGeneration; }) ++ [
          ../host.nix
          ex.module
        ];
        specialArgs = {
          inherit pkgs;
          modulesPath = throw "modulesPath";
        };
      };
      c = eval.config;
      x = c.virtualisation.xen;
    in
    {
      failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
      warnings = c.warnings;
      virtualisation.xen = {
        inherit (x) enable dom0Resources;
        xenCommandLine = x.boot.params or x.bootParams;
        optionUsed = if x ? boot then "virtualisation.xen.boot.params" else "virtualisation.xen.bootParams";
      };
      boot = {
        inherit (c.boot) kernelParams supportedFilesystems;
        initrd = {
          inherit (c.boot.initrd) kernelModules;
          systemdEnable = c.boot.initrd.systemd.enable;
          systemdServices = lib.mapAttrs (
            _: s:
            removeAttrs s [ "path" ]
          ) c.boot.initrd.systemd.services;
        };
        loader = {
          grub.enable = c.boot.loader.grub.enable;
          systemd-boot = c.boot.loader.systemd-boot;
          efi = c.boot.loader.efi;
        }
        // lib.optionalAttrs (c.boot.loader ? limine) { inherit (c.boot.loader) limine; };
      };
      fileSystemsNeededForBoot = lib.attrNames (lib.filterAttrs (_: fs: fs.neededForBoot or false) c.fileSystems);
      environment = {
        xlConf = c.environment.etc."xen/xl.conf".source.name;
        systemPackages = map (p: p.name) c.environment.systemPackages;
        inherit (c.environment) defaultPackages persistence loginShellInit;
      };
      systemd = {
        services = lib.mapAttrs (_: s: {
          inherit (s) description;
          wantedBy = s.wantedBy or [ ];
          after = s.after or [ ];
          unitConfig = s.unitConfig or { };
        }) c.systemd.services;
        tmpfiles = c.systemd.tmpfiles.rules;
      };
      services = {
        openssh = c.services.openssh;
        lvmThin = c.services.lvm.boot.thin.enable;
      };
      verifyBridge = c.xennix.verify.bridge;
      documentation = c.documentation.enable;
    };
in
lib.mapAttrs evalExample examples
