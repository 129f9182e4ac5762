# The text of the xennix-first-boot script (first-boot.nix), from builtins only so that tests
# can evaluate and run it without nixpkgs (assets/firstboot_test.go does).
#
# Each command runs once: after it succeeds, a marker named by the SHA-256 of its text is
# written under stateDir/first-boot/, and a command whose marker exists is skipped. So a
# command added later (xennix-setup) runs once, at the switch that adds it or the next boot,
# and the commands that ran are not run again. The first failure stops the script and leaves
# that command without a marker: it and the ones after it run again at the next start.
#
# A command is handed to bash as a file (a here-document on fd 3), never as an argument, so
# its size is not bounded by the kernel's 128 KiB per argument (MAX_ARG_STRLEN); its stdin
# is /dev/null.
{
  commands,
  stateDir ? "/var/lib/xennix",
}:
let
  inherit (builtins)
    concatStringsSep
    genList
    hashString
    head
    length
    replaceStrings
    elemAt
    split
    substring
    toString
    ;
  quote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  n = length commands;
  dir = "${stateDir}/first-boot";
  firstLine = c: substring 0 72 (head (split "\n" c));
  step =
    i:
    let
      c = elemAt commands i;
      h = hashString "sha256" c;
      tag = "[${toString (i + 1)}/${toString n}]";
    in
    ''
      if [ -e ${dir}/${h} ]; then
        echo ${quote "xennix-first-boot: ${tag} done before, skipped: ${firstLine c}"}
      else
        echo ${quote "xennix-first-boot: ${tag} ${firstLine c}"}
        bash -euo pipefail /dev/fd/3 </dev/null 3<<'XENNIX_FIRST_BOOT_${h}'
      ${c}
      XENNIX_FIRST_BOOT_${h}
        date --iso-8601=seconds > ${dir}/${h}
      fi
    '';
  # Hosts installed before per-command markers have one marker for all the commands they
  # had: those ran. Mark each of today's commands done once, then keep the old marker aside.
  legacy = "${stateDir}/first-boot.done";
in
''
  set -euo pipefail
  export PATH=/run/wrappers/bin:/run/current-system/sw/bin:/run/current-system/sw/sbin:$PATH
  mkdir -p ${dir}
  chmod 0700 ${dir}
  if [ -e ${legacy} ]; then
    ${concatStringsSep "\n  " (genList (i: "touch ${dir}/${hashString "sha256" (elemAt commands i)}") n)}
    mv ${legacy} ${legacy}.migrated
  fi
  ${concatStringsSep "\n" (genList step n)}
  echo "xennix-first-boot: done"
''
