set -euo pipefail
name=web
uuid=5e98cbc2-e141-5ea9-9ef7-3e51b9454e9c
marker=/run/xennix/guests/"$name".uuid
# Prints the UUID of the running domain called $name, nothing when there is none.
domuuid() {
  xl list -l "$name" 2>/dev/null | jq -r '.[0].config.c_info.uuid // empty' || true
}
ours() {
  [ -e "$marker" ] && [ "$(domuuid)" = "$(cat "$marker")" ]
}
if ! ours; then
  exit 0
fi
if timeout 300 xl shutdown -w -F "$name"; then
  exit 0
fi
echo "xennix: $name did not shut down within 300 s: destroying it" >&2
xl destroy "$name" || true
