set -euo pipefail
name=installer
uuid=efae6ee2-8707-53fd-91fc-d11edcf7a7f0
marker=/run/xennix/guests/"$name".uuid
# Prints the UUID of the running domain called $name, nothing when there is none.
domuuid() {
  xl list -l "$name" 2>/dev/null | jq -r '.[0].config.c_info.uuid // empty' || true
}
ours() {
  [ -e "$marker" ] && [ "$(domuuid)" = "$(cat "$marker")" ]
}
cfg=/nix/store/00000000000000000000000000000000-xl-installer.cfg
mkdir -p /run/xennix/guests /nix/var/nix/gcroots/xennix
if xl domid "$name" >/dev/null 2>&1; then
  if ours; then
    echo "xennix: $name: destroying the domain an earlier run of xen-guest-installer.service left behind"
    xl destroy "$name"
  else
    echo "xennix: a domain named $name is running that xen-guest-installer.service did not start (xl create by hand, or xendomains): leaving it alone, not starting the declared guest" >&2
    exit 3
  fi
fi
if [ ! -e /var/lib/xen/images/installer-root.img ]; then
  echo "xennix: $name: creating the volume /var/lib/xen/images/installer-root.img (40G, sparse)"
  mkdir -p "$(dirname /var/lib/xen/images/installer-root.img)"
  truncate -s 40G /var/lib/xen/images/installer-root.img
fi
if ! xl pci-assignable-list | grep -q '^0000:03:00.0'; then
  xl pci-assignable-add 0000:03:00.0
fi
echo "$uuid" > "$marker"
ln -sfn "$cfg" /run/xennix/guests/"$name".booted.cfg
ln -sfn "$cfg" /nix/var/nix/gcroots/xennix/"$name"-booted
