# xennix-verify.service: after every boot, records whether this boot is a working dom0.
#
# A small shell script rather than `xennix verify`, so the check needs nothing but the Xen
# tools and jq and works on a host built without the flake's overlay. The checks follow
# DESIGN §1: /proc/xen/capabilities contains control_d only in dom0 (a domU also shows
# /sys/hypervisor/type = xen); `xl info` works only with a running xenstored; the upstream
# units xenstored/xenconsoled must be active; the guests' bridge must be up.
# systemd-detect-virt prints "none" in dom0 and is not used.
#
# Output: /var/lib/xennix/verify.json (kept by the impermanence defaults), a one-line
# summary on the console and in the journal, and /run/xennix/motd, printed by login shells.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.xennix;
  vcfg = cfg.verify;

  bridgeNetdevs = lib.filter (n: (n.netdevConfig.Kind or null) == "bridge") (
    lib.attrValues (config.systemd.network.netdevs or { })
  );

  verifyScript = pkgs.writeShellApplication {
    name = "xennix-verify";
    # SC2016: the $ in single-quoted jq programs are jq's, not the shell's.
    excludeShellChecks = [ "SC2016" ];
    runtimeInputs = [
      pkgs.coreutils
      pkgs.gnugrep
      pkgs.jq
      config.systemd.package
      config.virtualisation.xen.package
    ];
    text = ''
      bridge=${lib.escapeShellArg (if vcfg.bridge == null then "" else vcfg.bridge)}
      out=/var/lib/xennix/verify.json
      mkdir -p /var/lib/xennix /run/xennix

      # Units and the bridge may still be starting: wait up to 90 s for them.
      for _ in $(seq 90); do
        ok=1
        systemctl is-active --quiet xenstored.service xenconsoled.service || ok=0
        if [ -n "$bridge" ] && [ "$(cat "/sys/class/net/$bridge/operstate" 2>/dev/null)" != up ]; then ok=0; fi
        [ "$ok" = 1 ] && break
        sleep 1
      done

      dom0=false
      grep -qw control_d /proc/xen/capabilities 2>/dev/null && dom0=true
      hypervisor=$(cat /sys/hypervisor/type 2>/dev/null || echo none)

      xlok=false
      xlinfo='{}'
      if info=$(xl info 2>/dev/null); then
        # "key   : value" lines -> {"key": "value"}
        xlinfo=$(printf '%s\n' "$info" | jq -R -n '[inputs | capture("^(?<k>[a-z_]+)\\s*:\\s*(?<v>.*)$")? | {(.k): .v}] | add // {}')
        [ "$(jq -r '.xen_version // empty' <<<"$xlinfo")" != "" ] && xlok=true
      fi

      units='{}'
      for u in xenstored xenconsoled xen-init-dom0 xendomains; do
        units=$(jq --arg u "$u" --arg s "$(systemctl is-active "$u.service" 2>/dev/null || true)" '. + {($u): $s}' <<<"$units")
      done

      bridgestate=""
      if [ -n "$bridge" ]; then bridgestate=$(cat "/sys/class/net/$bridge/operstate" 2>/dev/null || echo missing); fi

      problems=()
      [ "$dom0" = true ] || problems+=("not a Xen dom0 (/proc/xen/capabilities lacks control_d; was the Xen boot entry used?)")
      [ "$xlok" = true ] || problems+=("xl info failed")
      for u in xenstored xenconsoled; do
        [ "$(jq -r --arg u "$u" '.[$u]' <<<"$units")" = active ] || problems+=("$u.service is not active")
      done
      if [ -n "$bridge" ] && [ "$bridgestate" != up ]; then problems+=("bridge $bridge is $bridgestate"); fi

      ok=false
      [ "''${#problems[@]}" -eq 0 ] && ok=true

      jq -n \
        --arg time "$(date --iso-8601=seconds)" \
        --arg boot "$(cat /proc/sys/kernel/random/boot_id)" \
        --arg hypervisor "$hypervisor" \
        --argjson ok "$ok" --argjson dom0 "$dom0" --argjson xl "$xlok" \
        --argjson xlinfo "$xlinfo" --argjson units "$units" \
        --arg bridge "$bridge" --arg bridgestate "$bridgestate" \
        --args '{
          version: 1, ok: $ok, time: $time, boot_id: $boot,
          hypervisor: $hypervisor, dom0: $dom0, xl_info_ok: $xl,
          xen: ($xlinfo | {xen_version, xen_caps, xen_commandline, virt_caps, total_memory, free_memory}),
          iommu_passthrough: (($xlinfo.virt_caps // "") | test("hvm_directio")),
          units: $units,
          bridge: (if $bridge == "" then null else {name: $bridge, operstate: $bridgestate} end),
          problems: $ARGS.positional
        }' "''${problems[@]}" > "$out.tmp"
      mv "$out.tmp" "$out"

      if [ "$ok" = true ]; then
        msg="XenNix: this boot is a working Xen dom0 (Xen $(jq -r '.xen.xen_version' "$out"))"
      else
        msg="XenNix: this boot is NOT a working Xen dom0: $(IFS=';'; echo "''${problems[*]}")"
      fi
      printf '%s\n(details: %s, journalctl -u xennix-verify)\n' "$msg" "$out" > /run/xennix/motd
      echo "$msg"
      [ "$ok" = true ]
    '';
  };
in
{
  options.xennix.verify = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Run xennix-verify.service at boot: record in /var/lib/xennix/verify.json whether this boot is a working dom0.";
    };
    bridge = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = if bridgeNetdevs == [ ] then null else (lib.head bridgeNetdevs).netdevConfig.Name;
      defaultText = lib.literalMD "the `Name` of the first bridge in `systemd.network.netdevs` (network.nix), else null";
      example = "xenbr0";
      description = "The guests' bridge that must be up; null skips the bridge check.";
    };
  };

  config = lib.mkIf (cfg.enable && vcfg.enable) {
    systemd.services.xennix-verify = {
      description = "XenNix: record whether this boot is a working Xen dom0";
      wantedBy = [ "multi-user.target" ];
      after = [
        "xenstored.service"
        "xenconsoled.service"
        "xen-init-dom0.service"
        "network.target"
      ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = lib.getExe verifyScript;
        StandardOutput = "journal+console";
      };
    };

    # Login shells show the last verdict (works with any PAM motd setup).
    environment.loginShellInit = ''
      [ -r /run/xennix/motd ] && cat /run/xennix/motd
    '';
  };
}
