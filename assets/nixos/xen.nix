# Xen dom0: the hypervisor, its command line, dom0 resources, IOMMU policy, PCI passthrough
# and xl.conf.
#
# Sources: nixpkgs nixos/modules/virtualisation/xen-dom0.nix. Two generations matter:
#   - 24.11/25.05 (commit 95d27ed): Xen command line in `virtualisation.xen.bootParams`,
#     systemd-boot or Lanzaboote only;
#   - 25.11 and later (nixpkgs PR #393287): `virtualisation.xen.boot.params` (bootParams is
#     kept as a mkRenamedOptionModule), `boot.bios.path` and Limine (BIOS via multiboot1).
# Both have `dom0Resources.{memory,maxMemory,maxVCPUs}` (MiB; 0 = all), which the module
# itself turns into `dom0_mem=<memory>M[,max:<maxMemory>M]` and `dom0_max_vcpus=`. We set
# the option the evaluated nixpkgs declares, so importing these modules on the older
# release still evaluates.
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.xennix;
  xcfg = cfg.xen;

  # The newer Xen module declares virtualisation.xen.boot.{params,bios.path,...}.
  xenHasBootOptions = options.virtualisation.xen ? boot;

  # "ttyS0,115200" -> { com = 1; baud = "115200"; }; Xen names the first UART com1
  # (xen-command-line: `com1=<baud>[/<base-baud>][,[DPS][,[<io-base>|pci|amt] ...`).
  serial =
    let
      m = builtins.match "ttyS([0-9]+)(,([0-9]+).*)?" cfg.boot.serialConsole;
    in
    if cfg.boot.serialConsole == null || m == null then
      null
    else
      {
        com = lib.toInt (builtins.elemAt m 0) + 1;
        baud = if builtins.elemAt m 2 == null then "115200" else builtins.elemAt m 2;
        tty = "ttyS${builtins.elemAt m 0}";
      };

  # Xen's `iommu=` (xen-command-line.pandoc): IOMMU use is the default on x86 when the
  # hardware has one, so "auto" adds nothing; "force"/"required" stop the boot unless an
  # IOMMU is found and initialised; a boolean false turns it off.
  iommuParams =
    {
      auto = [ ];
      required = [ "iommu=required" ];
      off = [ "iommu=0" ];
    }
    .${xcfg.iommu};

  # xen-command-line: `console=` lists where Xen writes (com1, vga, ...); `com1=baud,DPS`.
  serialXenParams = lib.optionals (serial != null) [
    "console=com${toString serial.com},vga"
    "com${toString serial.com}=${serial.baud},8n1"
  ];

  xenParams = iommuParams ++ serialXenParams ++ xcfg.extraParams;

  # "03:00.0" -> "0000:03:00.0": xen-pciback wants the full BDF with its PCI domain.
  fullBDF = addr: if builtins.match "[0-9a-fA-F]{4}:.*" addr != null then addr else "0000:${addr}";
  validBDF = addr: builtins.match "([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]" addr != null;

  # xl.conf with our autoballoon setting. The Xen module owns
  # environment.etc."xen/xl.conf".source (a link to the package's xl.conf, with a TODO to
  # make it declarative), so we replace it with mkForce by a copy of the same file whose
  # `autoballoon` line is ours. xl.conf(5): autoballoon="off"|"on"|"auto".
  xlConf = pkgs.runCommand "xl.conf" { } ''
    grep -v '^[#[:space:]]*autoballoon[[:space:]]*=' ${config.virtualisation.xen.package}/etc/xen/xl.conf > $out || true
    cat >> $out <<'XL'

    # Set by XenNix (xennix.xen.autoballoon): whether xl shrinks dom0 to make memory for guests.
    autoballoon="${if xcfg.autoballoon then "on" else "off"}"
    XL
  '';
in
{
  options.xennix.xen = {
    dom0Memory = lib.mkOption {
      type = lib.types.ints.unsigned;
      default = 0;
      example = 4096;
      description = ''
        Memory of dom0 at boot, in MiB (Xen `dom0_mem=`). 0 gives dom0 all memory, so guests
        only get memory by ballooning dom0 down (see {option}`xennix.xen.autoballoon`).
      '';
    };
    dom0MaxMemory = lib.mkOption {
      type = lib.types.ints.unsigned;
      default = 0;
      example = 8192;
      description = "Maximum memory of dom0 in MiB (`dom0_mem=…,max:`); 0 means the same as dom0Memory.";
    };
    dom0VCPUs = lib.mkOption {
      type = lib.types.ints.unsigned;
      default = 0;
      example = 4;
      description = "Number of vCPUs of dom0 (Xen `dom0_max_vcpus=`); 0 gives dom0 all CPUs.";
    };
    autoballoon = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        xl.conf `autoballoon`: whether xl shrinks dom0 to make room for a new guest. Leave it
        off when dom0 memory is fixed with {option}`xennix.xen.dom0Memory` (Xen's best
        practice); turn it on when dom0 starts with all memory.
      '';
    };
    iommu = lib.mkOption {
      type = lib.types.enum [
        "auto"
        "required"
        "off"
      ];
      default = "auto";
      description = ''
        Xen IOMMU policy: "auto" uses one when present (Xen's default), "required" adds
        `iommu=required` so Xen refuses to boot without one (needed for safe PCI
        passthrough), "off" adds `iommu=0`.
      '';
    };
    extraParams = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "sched=credit2" ];
      description = "Extra Xen command-line parameters, appended after the ones XenNix sets (so they win).";
    };
    passthrough = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "0000:03:00.0" ];
      description = ''
        PCI devices (BDF, e.g. "0000:03:00.0") hidden from dom0's drivers by xen-pciback at
        boot, ready to be assigned to guests (`xl pci-assignable-list`).
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        virtualisation.xen.enable = true;
        virtualisation.xen.dom0Resources = {
          memory = xcfg.dom0Memory;
          maxMemory = if xcfg.dom0MaxMemory == 0 then xcfg.dom0Memory else xcfg.dom0MaxMemory;
          maxVCPUs = xcfg.dom0VCPUs;
        };

        # The dom0 kernel's console is the Xen console hvc0, which Xen sends to its serial
        # port (Xen keeps the UART it uses away from dom0). The last console= is
        # /dev/console: hvc0 under Xen; on a plain (non-Xen) boot hvc0 does not exist and the
        # kernel falls back to the serial port named before it.
        boot.kernelParams =
          lib.optionals (serial != null) [
            "console=tty0"
            "console=${serial.tty},${serial.baud}"
            "console=hvc0"
          ]
          # Linux Documentation/admin-guide/kernel-parameters: module parameters are given as
          # <module>.<param>=; xen-pciback's `hide=(BDF)(BDF)` claims the devices first.
          ++ lib.optional (xcfg.passthrough != [ ]) (
            "xen-pciback.hide=" + lib.concatMapStrings (a: "(${fullBDF a})") xcfg.passthrough
          );

        # The Xen module loads xen-pciback in stage 2 (boot.kernelModules); loading it in the
        # initrd lets it bind the hidden devices before their own drivers can.
        boot.initrd.kernelModules = lib.optional (xcfg.passthrough != [ ]) "xen-pciback";

        environment.etc."xen/xl.conf".source = lib.mkForce xlConf;

        assertions = [
          {
            assertion = cfg.boot.serialConsole == null || serial != null && serial.com <= 4;
            message = ''xennix.boot.serialConsole = "${toString cfg.boot.serialConsole}": want ttyS0 to ttyS3 with an optional baud rate, e.g. "ttyS0,115200" (Xen knows com1 to com4).'';
          }
          {
            assertion = lib.all validBDF xcfg.passthrough;
            message = "xennix.xen.passthrough: every entry must be a PCI address like 0000:03:00.0, got: ${toString xcfg.passthrough}";
          }
          {
            assertion = xcfg.passthrough == [ ] || xcfg.iommu != "off";
            message = "xennix.xen.passthrough needs an IOMMU: set xennix.xen.iommu to \"auto\" or \"required\".";
          }
          {
            assertion = xcfg.dom0MaxMemory == 0 || xcfg.dom0MaxMemory >= xcfg.dom0Memory;
            message = "xennix.xen.dom0MaxMemory (${toString xcfg.dom0MaxMemory} MiB) is below xennix.xen.dom0Memory (${toString xcfg.dom0Memory} MiB).";
          }
        ];

        warnings = lib.optional (xcfg.dom0Memory == 0 && !xcfg.autoballoon) ''
          XenNix: dom0 gets all memory (xennix.xen.dom0Memory = 0) and xl may not balloon it
          down (xennix.xen.autoballoon = false), so guests will find no free memory. Set
          xennix.xen.dom0Memory (e.g. 4096) or xennix.xen.autoballoon = true.
        '';
      }
      # The Xen command line: the option name depends on the nixpkgs generation (see top).
      (lib.optionalAttrs xenHasBootOptions { virtualisation.xen.boot.params = xenParams; })
      (lib.optionalAttrs (!xenHasBootOptions) { virtualisation.xen.bootParams = xenParams; })
    ]
  );
}
