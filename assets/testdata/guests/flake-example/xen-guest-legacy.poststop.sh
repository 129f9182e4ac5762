set -euo pipefail
name=legacy
uuid=0bd1ff75-3f34-5b17-806c-3202c83627d4
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
