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
cfg=/nix/store/00000000000000000000000000000000-xl-web.cfg
mkdir -p /run/xennix/guests /nix/var/nix/gcroots/xennix
if xl domid "$name" >/dev/null 2>&1; then
  if ours; then
    echo "xennix: $name: destroying the domain an earlier run of xen-guest-web.service left behind"
    xl destroy "$name"
  else
    echo "xennix: a domain named $name is running that xen-guest-web.service did not start (xl create by hand, or xendomains): leaving it alone, not starting the declared guest" >&2
    exit 3
  fi
fi
if [ ! -e /var/lib/xen/images/web-var.img ]; then
  echo "xennix: $name: creating the volume /var/lib/xen/images/web-var.img (10G, sparse)"
  mkdir -p "$(dirname /var/lib/xen/images/web-var.img)"
  truncate -s 10G /var/lib/xen/images/web-var.img
fi
echo "$uuid" > "$marker"
ln -sfn "$cfg" /run/xennix/guests/"$name".booted.cfg
ln -sfn "$cfg" /nix/var/nix/gcroots/xennix/"$name"-booted
