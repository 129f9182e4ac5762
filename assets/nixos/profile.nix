# The minimal server profile and SSH.
#
# Users, passwords and authorised keys come from settings.nix (users.users.*), which also
# sets services.openssh.settings.PermitRootLogin from the answers; the values here are
# mkDefault so that settings.nix and configuration.nix win without lib.mkForce.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.xennix;
in
{
  options.xennix = {
    ssh.enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Run sshd (key-only logins by default; root by key only).";
    };
    profile.minimal = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "A small server closure: no documentation, no X11, no default packages besides the XenNix tools.";
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        # Tools an operator of a Xen host reaches for; the Xen tools themselves (xl, ...) come
        # from xen-dom0.nix (environment.systemPackages = [ cfg.package ... ]).
        environment.systemPackages =
          [
            pkgs.pciutils
            pkgs.usbutils
            pkgs.iproute2
            pkgs.ethtool
            pkgs.jq
          ]
          # The flake's overlay adds pkgs.xennix (xennix-setup on the host).
          ++ lib.optional (pkgs ? xennix) pkgs.xennix;
      }

      (lib.mkIf cfg.profile.minimal {
        # nixos/modules/misc/documentation.nix and profiles/minimal.nix.
        documentation.enable = lib.mkDefault false;
        documentation.doc.enable = lib.mkDefault false;
        documentation.info.enable = lib.mkDefault false;
        documentation.man.enable = lib.mkDefault false;
        documentation.nixos.enable = lib.mkDefault false;
        # nixos/modules/config/system-path.nix: nano, perl, rsync, strace by default.
        environment.defaultPackages = lib.mkDefault [ ];
        services.xserver.enable = lib.mkDefault false;
        fonts.fontconfig.enable = lib.mkDefault false;
        programs.command-not-found.enable = lib.mkDefault false;
      })

      (lib.mkIf cfg.ssh.enable {
        services.openssh = {
          enable = lib.mkDefault true;
          settings = {
            PermitRootLogin = lib.mkDefault "prohibit-password";
            PasswordAuthentication = lib.mkDefault false;
            KbdInteractiveAuthentication = lib.mkDefault false;
          };
        };
      })
    ]
  );
}
