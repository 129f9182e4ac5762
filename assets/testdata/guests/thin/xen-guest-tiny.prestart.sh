set -euo pipefail
name=tiny
uuid=c6430a2e-c526-5df5-916d-8164fd6e565e
marker=/run/xennix/guests/"$name".uuid
# Prints the UUID of the running domain called $name, nothing when there is none.
domuuid() {
  xl list -l "$name" 2>/dev/null | jq -r '.[0].config.c_info.uuid // empty' || true
}
ours() {
  [ -e "$marker" ] && [ "$(domuuid)" = "$(cat "$marker")" ]
}
cfg=/nix/store/00000000000000000000000000000000-xl-tiny.cfg
mkdir -p /run/xennix/guests /nix/var/nix/gcroots/xennix
if xl domid "$name" >/dev/null 2>&1; then
  if ours; then
    echo "xennix: $name: destroying the domain an earlier run of xen-guest-tiny.service left behind"
    xl destroy "$name"
  else
    echo "xennix: a domain named $name is running that xen-guest-tiny.service did not start (xl create by hand, or xendomains): leaving it alone, not starting the declared guest" >&2
    exit 3
  fi
fi
if ! lvs vg0/xennix-tiny-data >/dev/null 2>&1; then
  echo "xennix: $name: creating the thin volume vg0/xennix-tiny-data (2G)"
  lvcreate -V 2G -T vg0/thinpool -n xennix-tiny-data
fi
echo "$uuid" > "$marker"
ln -sfn "$cfg" /run/xennix/guests/"$name".booted.cfg
ln -sfn "$cfg" /nix/var/nix/gcroots/xennix/"$name"-booted
