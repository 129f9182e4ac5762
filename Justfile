# XenNix tasks. `just --list` shows them. Recipes are thin: each is a command you can run
# by hand too.

version := `git describe --tags --always --dirty 2>/dev/null || echo dev`

# Build the xennix binary into ./bin (and the xennix-setup name for it).
build:
    mkdir -p bin
    go build -ldflags "-X main.version={{version}}" -o bin/xennix ./cmd/xennix
    ln -sf xennix bin/xennix-setup

# Run every test (CI, .ci/run, runs them in two parts, all but the Xen VM tests with -race).
test:
    go test ./...

# Static checks: formatting, vet, and every .nix file parses.
lint:
    test -z "$(gofmt -l $(git ls-files '*.go'))"
    go vet ./...
    for f in $(git ls-files '*.nix'); do nix-instantiate --parse "$f" >/dev/null || exit 1; done

# Format Go sources.
fmt:
    gofmt -w $(git ls-files '*.go')

# Regenerate golden files and the answers JSON Schema after an intended change.
update-golden:
    go test ./... -update

# Fuzz the answers decoder and the Nix printer for a while.
fuzz time="60s":
    go test ./installer -run XXX -fuzz FuzzParseValidate -fuzztime {{time}}
    go test ./nixexpr -run XXX -fuzz FuzzPrintString -fuzztime {{time}}

# Run the whole CI script locally (needs root: it installs Debian packages).
ci:
    bash .ci/run

# Build the installer ISO (result/iso/xennix-installer-*.iso). Needs Nix with flakes.
iso:
    nix build .#iso
    ls result/iso/

# Build the netboot files (result-netboot/: bzImage, initrd, netboot.ipxe, cmdline).
netboot:
    nix build .#netboot -o result-netboot
    ls -l result-netboot/

# Boot the installer ISO in QEMU on a blank 32 GiB disk (vm-disk.qcow2, kept between runs),
# serial console on stdio (Ctrl-A X quits). `just vm` boots by UEFI (OVMF), `just vm bios`
# by legacy BIOS; `just vm uefi no` boots the installed disk without the ISO.
vm firmware="uefi" cdrom="yes" disk="vm-disk.qcow2":
    #!/usr/bin/env bash
    set -euo pipefail
    [ -e {{disk}} ] || qemu-img create -f qcow2 {{disk}} 32G
    args=(-m 4096 -smp 2 -machine q35 -nographic
          -drive file={{disk}},if=none,id=target,format=qcow2
          -device virtio-blk-pci,drive=target,serial=xennix-vm
          -nic user,model=virtio-net-pci)
    if [ -w /dev/kvm ]; then args+=(-enable-kvm -cpu host); fi
    if [ {{cdrom}} = yes ]; then
      iso=$(echo "$(nix build .#iso --no-link --print-out-paths)"/iso/*.iso)
      args+=(-cdrom "$iso" -boot once=d)
    fi
    case {{firmware}} in
      uefi)
        ovmf=$(nix build nixpkgs#OVMF.fd --no-link --print-out-paths)/FV
        [ -e {{disk}}.vars ] || install -m 644 "$ovmf/OVMF_VARS.fd" {{disk}}.vars
        args+=(-drive if=pflash,format=raw,readonly=on,file="$ovmf/OVMF_CODE.fd"
               -drive if=pflash,format=raw,file={{disk}}.vars) ;;
      bios) ;;
      *) echo "vm: firmware must be uefi or bios" >&2; exit 2 ;;
    esac
    exec qemu-system-x86_64 "${args[@]}"

# Evaluate and build every flake check: the example hosts, the ISO and netboot evaluation,
# the xennix package, and the installer VM test (needs KVM).
check:
    nix flake check -L

# Recompute flake.nix's vendorHash (buildGoModule) after go.mod changes: the NAR hash of
# `go mod vendor`, computed in a copy of the repository by TestVendorHash.
vendor-hash:
    go test ./assets -run 'TestVendorHash$' -count=1 -update -v
