# The guest side of a XenNix NixOS guest (kind "nixos"): imported into each guest's own
# evaluation by ../guests.nix, with xennix.guest.* set by the host.
#
# The guest boots by direct kernel boot (the host's cfg names this system's kernel, initrd
# and init, and regInfo=, the Nix database registration of the closure). Its /nix/store is
# a read-only erofs image of its own closure on xvda, attached by blkback with no QEMU;
# / is a tmpfs unless the guest's configuration puts it on a disk. This follows
# microvm.nix (nixos-modules/microvm/store-disk.nix, system.nix: init= and regInfo= on the
# command line, `nix-store --load-db` at boot) and nixpkgs' xen-domU.nix profile (the Xen
# front-end drivers in the initrd, the console on hvc0).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  gcfg = config.xennix.guest;
  toplevel = config.system.build.toplevel;

  # The registration of the closure: a store path that refers to every path of it, so the
  # image below (the closure of regInfo) holds the toplevel's closure and the registration.
  regInfo = pkgs.closureInfo { rootPaths = [ toplevel ]; };
  imageClosure = pkgs.closureInfo { rootPaths = [ regInfo ]; };

  storeImage =
    pkgs.runCommand "xennix-store-${gcfg.name}.erofs"
      {
        nativeBuildInputs = [ pkgs.erofs-utils ];
        __structuredAttrs = true;
        unsafeDiscardReferences.out = true;
      }
      ''
        mkdir root
        while read -r p; do
          cp -a "$p" root/
        done < ${imageClosure}/store-paths
        # -T0 and --all-root: reproducible, owned by root, as the guest's store must be.
        mkfs.erofs -L nix-store -T0 --all-root -zlz4hc "$out" root
      '';
in
{
  options.xennix.guest = {
    name = lib.mkOption {
      type = lib.types.str;
      internal = true;
      description = "The guest's name on the host (its domain name).";
    };
    interfaces = lib.mkOption {
      type = lib.types.listOf lib.types.attrs;
      internal = true;
      default = [ ];
      description = "The host's declaration of the guest's interfaces: [ { mac; ipv4 = { address; gateway; }; } ].";
    };
    sshAuthorizedKeys = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      internal = true;
      default = [ ];
      description = "SSH public keys for root, from the host's declaration.";
    };
  };

  config = {
    boot.loader.grub.enable = false;
    boot.initrd.availableKernelModules = [
      "xen-blkfront"
      "xen-netfront"
      "erofs"
    ];
    boot.initrd.kernelModules = [
      "xen-blkfront"
      "erofs"
    ];
    boot.kernelParams = [ "console=hvc0" ];

    fileSystems."/" = lib.mkDefault {
      device = "none";
      fsType = "tmpfs";
      options = [ "mode=0755" ];
    };
    fileSystems."/nix/store" = {
      device = "/dev/xvda";
      fsType = "erofs";
      options = [ "ro" ];
      neededForBoot = true;
    };

    # Register the closure in the guest's Nix database (microvm store-disk.nix does the same).
    boot.postBootCommands = ''
      if [[ "$(cat /proc/cmdline)" =~ regInfo=([^ ]*) ]]; then
        ${config.nix.package.out}/bin/nix-store --load-db < "''${BASH_REMATCH[1]}"
      fi
    '';

    networking.hostName = lib.mkDefault gcfg.name;
    networking.useNetworkd = lib.mkDefault true;
    networking.useDHCP = lib.mkDefault false;
    # One .network per interface, matched by the MAC the host gave it.
    systemd.network.networks = lib.listToAttrs (
      lib.imap0 (
        i: n:
        lib.nameValuePair "10-xennix-${toString i}" (
          {
            matchConfig.MACAddress = n.mac;
          }
          // (
            if n.ipv4.address or null != null then
              {
                address = [ n.ipv4.address ];
                networkConfig.DHCP = "no";
              }
              // lib.optionalAttrs (n.ipv4.gateway or null != null) { gateway = [ n.ipv4.gateway ]; }
            else
              { networkConfig.DHCP = "ipv4"; }
          )
        )
      ) gcfg.interfaces
    );

    users.users.root.openssh.authorizedKeys.keys = gcfg.sshAuthorizedKeys;
    services.openssh.enable = lib.mkIf (gcfg.sshAuthorizedKeys != [ ]) (lib.mkDefault true);

    services.timesyncd.enable = lib.mkDefault false;

    system.build.xennixStoreImage = storeImage;
    system.build.xennixRegInfo = regInfo;
  };
}
