# Commands run once, after the network is online, at the first boot of the installed host.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.xennix;
  marker = "/var/lib/xennix/first-boot.done";

  # Each command runs in its own bash, in order; the first failure stops the unit (and
  # leaves the marker absent, so the commands run again at the next boot).
  script = pkgs.writeShellScript "xennix-first-boot" ''
    set -euo pipefail
    export PATH=/run/wrappers/bin:/run/current-system/sw/bin:/run/current-system/sw/sbin:$PATH
    ${lib.concatImapStringsSep "\n" (i: c: ''
      echo "xennix-first-boot: [${toString i}/${toString (builtins.length cfg.firstBoot.commands)}] "${lib.escapeShellArg c}
      bash -euo pipefail -c ${lib.escapeShellArg c}
    '') cfg.firstBoot.commands}
    mkdir -p /var/lib/xennix
    date --iso-8601=seconds > ${marker}
    echo "xennix-first-boot: done"
  '';
in
{
  options.xennix.firstBoot.commands = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    default = [ ];
    example = [ "xl create /etc/xen/auto/router.cfg" ];
    description = ''
      Shell commands run once, in order, after network-online.target at the first boot
      (each with `bash -euo pipefail -c`). Their output goes to the journal
      (`journalctl -u xennix-first-boot`); /var/lib/xennix/first-boot.done marks success.
    '';
  };

  config = lib.mkIf (cfg.enable && cfg.firstBoot.commands != [ ]) {
    systemd.services.xennix-first-boot = {
      description = "XenNix first-boot commands";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      unitConfig.ConditionPathExists = "!${marker}";
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
