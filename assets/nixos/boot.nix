# Boot loader and initrd for a Xen dom0.
#
# nixpkgs xen-dom0.nix asserts that the boot loader is systemd-boot, Lanzaboote or Limine
# ("Xen only supports booting on systemd-boot, Lanzaboote or Limine") and that
# boot.initrd.systemd.enable is true; GRUB cannot boot a NixOS dom0. With systemd-boot the
# Xen module's boot builder (loader.systemd-boot.extraInstallCommands) writes
# loader/entries/xen-*.conf and makes the newest one the default. With Limine,
# limine-install.py reads the `org.xenproject.bootspec.v2` bootspec extension and lists a
# Xen entry first in every generation: `protocol: efi` (xen.efi) on UEFI,
# `protocol: multiboot` (multiboot1) on BIOS.
{
  config,
  lib,
  options,
  ...
}:
let
  cfg = config.xennix;
  bcfg = cfg.boot;

  # Only the newer Xen module (nixpkgs >= 25.11, PR #393287) declares boot.bios.path and
  # the Limine multiboot path; the older one boots by UEFI only.
  xenCanBootBIOS = options.virtualisation.xen ? boot;

  # nixpkgs before 25.05 has no Limine module: never define its options there (a definition
  # of an undeclared option is an error even under mkIf false).
  hasLimine = options.boot.loader ? limine;

  lanzabooteOn = (config.boot ? lanzaboote) && (config.boot.lanzaboote.enable or false);
  limineSecureBoot = config.boot.loader.limine.secureBoot.enable or false;

  serialBaud =
    let
      m = builtins.match "ttyS[0-9]+,([0-9]+).*" bcfg.serialConsole;
    in
    if bcfg.serialConsole == null || m == null then "115200" else builtins.head m;
in
{
  options.xennix.boot = {
    firmware = lib.mkOption {
      type = lib.types.enum [
        "uefi"
        "bios"
      ];
      default = "uefi";
      description = "How the machine boots: UEFI or legacy BIOS.";
    };
    loader = lib.mkOption {
      type = lib.types.enum [
        "systemd-boot"
        "limine"
      ];
      default = if bcfg.firmware == "bios" then "limine" else "systemd-boot";
      defaultText = lib.literalExpression ''if config.xennix.boot.firmware == "bios" then "limine" else "systemd-boot"'';
      description = ''
        The boot loader: systemd-boot (UEFI only) or Limine (UEFI or BIOS). GRUB cannot boot
        a NixOS dom0.
      '';
    };
    biosDevice = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/dev/disk/by-id/ata-ST4000NM0033_Z1Z0AAAA";
      description = "Limine on BIOS: the disk whose MBR gets Limine's stage 1 (boot.loader.limine.biosDevice).";
    };
    biosPartitionIndex = lib.mkOption {
      type = lib.types.nullOr lib.types.int;
      default = null;
      example = 1;
      description = ''
        Limine on BIOS with GPT: the 1-based index of the BIOS boot partition (type EF02)
        that holds Limine's stage 2 (boot.loader.limine.partitionIndex).
      '';
    };
    serialConsole = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "ttyS0,115200";
      description = ''
        A serial console for Xen, dom0 and the boot loader, as "ttySN[,baud]": Xen gets
        `console=comN+1,vga comN+1=baud,8n1`, the dom0 kernel `console=hvc0` (the Xen
        console), Limine `serial: yes`.
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        # xen-dom0.nix: "Xen does not support the legacy script-based stage 1 initrd".
        boot.initrd.systemd.enable = true;

        # grub.enable defaults to true (grub.nix: !config.boot.isContainer); the limine
        # module sets it to mkDefault false, systemd-boot does not everywhere.
        boot.loader.grub.enable = lib.mkDefault false;

        assertions = [
          {
            assertion = !config.boot.loader.grub.enable;
            message = "XenNix: GRUB cannot boot a NixOS Xen dom0 (nixpkgs xen-dom0.nix allows systemd-boot, Lanzaboote or Limine); remove boot.loader.grub.enable = true.";
          }
          {
            assertion = !lanzabooteOn && !limineSecureBoot;
            message = "XenNix: Secure Boot with Xen is not supported (Lanzaboote has no Xen support upstream, PR nix-community/lanzaboote#387); disable Secure Boot in the firmware and boot.lanzaboote / boot.loader.limine.secureBoot.";
          }
          {
            assertion = !(bcfg.firmware == "bios" && bcfg.loader == "systemd-boot");
            message = "XenNix: systemd-boot is UEFI-only; a BIOS host needs xennix.boot.loader = \"limine\".";
          }
          {
            assertion = bcfg.firmware != "bios" || xenCanBootBIOS;
            message = "XenNix: this nixpkgs' Xen module cannot boot by BIOS (no virtualisation.xen.boot.bios.path / Limine support); use nixpkgs >= 25.11.";
          }
          {
            assertion = bcfg.loader != "limine" || (hasLimine && xenCanBootBIOS);
            message = "XenNix: this nixpkgs' Xen module cannot boot with Limine; use nixpkgs >= 25.11 or xennix.boot.loader = \"systemd-boot\".";
          }
          {
            assertion = bcfg.firmware != "bios" || bcfg.biosDevice != null;
            message = "XenNix: a BIOS host needs xennix.boot.biosDevice, the disk that gets Limine's stage 1.";
          }
        ];
      }

      (lib.mkIf (bcfg.loader == "systemd-boot") {
        boot.loader.systemd-boot.enable = true;
        boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
        # Every generation puts a Xen image (xen.efi + kernel + initrd) on the ESP; keep
        # the ESP from filling up.
        boot.loader.systemd-boot.configurationLimit = lib.mkDefault 10;
      })

      (lib.optionalAttrs hasLimine (lib.mkIf (bcfg.loader == "limine") {
        boot.loader.limine = {
          enable = true;
          maxGenerations = lib.mkDefault 10;
          # limine.nix: efiSupport defaults to pkgs.stdenv.hostPlatform.isEfi (true on
          # x86_64) and biosSupport to !efiSupport, so both are set explicitly.
          efiSupport = bcfg.firmware == "uefi";
          biosSupport = bcfg.firmware == "bios";
          # Limine CONFIG.md: `serial: yes` enables serial I/O, `serial_baudrate` (BIOS).
          extraConfig = lib.mkIf (bcfg.serialConsole != null) ''
            serial: yes
            serial_baudrate: ${serialBaud}
          '';
        };
      }))

      (lib.mkIf (bcfg.loader == "limine" && bcfg.firmware == "uefi") {
        boot.loader.efi.canTouchEfiVariables = lib.mkDefault true;
      })

      # limine-install.py: stage 1 goes to biosDevice (default "nodev" = none), stage 2 to
      # the partition partitionIndex on GPT; /boot must be an unencrypted FAT filesystem.
      (lib.optionalAttrs hasLimine (lib.mkIf (bcfg.loader == "limine" && bcfg.firmware == "bios") {
        boot.loader.limine.biosDevice = lib.mkIf (bcfg.biosDevice != null) bcfg.biosDevice;
        boot.loader.limine.partitionIndex = bcfg.biosPartitionIndex;
        boot.loader.efi.canTouchEfiVariables = false;
      }))
    ]
  );
}
