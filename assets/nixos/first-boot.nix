# Commands run once, after the network is online, at the first boot of the installed host.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.xennix;

  # Each command runs once, in order (a marker per command, named by its SHA-256, under
  # /var/lib/xennix/first-boot/); the first failure stops the unit, and that command and
  # the ones after it run again at the next start. See lib/first-boot-script.nix.
  script = pkgs.writeShellScript "xennix-first-boot" (
    import ./lib/first-boot-script.nix { inherit (cfg.firstBoot) commands; }
  );
in
{
  options.xennix.firstBoot.commands = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    example = [ "xl create /etc/xen/auto/router.cfg" ];
    description = ''
      Shell commands run once each, in order, after network-online.target: at the first
      boot, and a command added later at the switch that adds it (each with `bash -euo
      pipefail`, from a file, so a long script is fine). Their output goes to the journal
      (`journalctl -u xennix-first-boot`); /var/lib/xennix/first-boot/<sha256 of the
      command> marks one that succeeded. Changing a command makes it a new command.
    '';
  };

  config = lib.mkIf (cfg.enable && cfg.firstBoot.commands != [ ]) {
    systemd.services.xennix-first-boot = {
      description = "XenNix first-boot commands";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = script;
        StandardOutput = "journal";
        StandardError = "journal";
      };
    };
  };
}
