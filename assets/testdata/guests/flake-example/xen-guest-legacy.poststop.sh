set -euo pipefail
name=legacy
uuid=0ef10187-da3e-5993-8ff7-53084a3905c8
marker=/run/xennix/guests/"$name".uuid
# Prints the UUID of the running domain called $name, nothing when there is none.
domuuid() {
  xl list -l "$name" 2>/dev/null | jq -r '.[0].config.c_info.uuid // empty' || true
}
ours() {
  [ -e "$marker" ] && [ "$(domuuid)" = "$(cat "$marker")" ]
}
if [ ! -e "$marker" ]; then
  exit 0
fi
if ours; then
  xl destroy "$name" || true
fi
rm -f "$marker" /run/xennix/guests/"$name".booted.cfg /nix/var/nix/gcroots/xennix/"$name"-booted
