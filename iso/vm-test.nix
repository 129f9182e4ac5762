# NixOS VM test (pkgs.testers.runNixOSTest, nixos/tests style): boot the installer system
# with a blank 32 GiB disk, run `xennix install --answers` headless, and check what it left
# on the disk. Needs a machine with Nix and KVM: nix build .#checks.x86_64-linux.installer-vm
#
# The VM boots the installer's NixOS configuration directly (the test driver's kernel and
# store), not the ISO file: the ISO's own boot is covered by `just vm`.
{ inputs }:
{
  name = "xennix-installer";

  node.specialArgs = { inherit inputs; };

  nodes.installer =
    { lib, ... }:
    {
      # The test's pkgs (flake.nix's, with the xennix overlay) is the nodes' read-only pkgs.
      imports = [ ./installer-common.nix ];

      virtualisation = {
        memorySize = 4096;
        cores = 2;
        useEFIBoot = true;
        # The target disk, /dev/disk/by-id/virtio-xennix-target in the guest.
        emptyDiskImages = [
          {
            size = 32768;
            driveConfig.deviceExtraOpts.serial = "xennix-target";
          }
        ];
      };

      # The test driver logs in on its own; keep the installer off tty1 here.
      environment.loginShellInit = lib.mkForce "";

      environment.etc."xennix-test/answers.yaml".text = ''
        version: 1
        host:
          hostname: xen-vmtest
        disks:
          ids:
            - /dev/disk/by-id/virtio-xennix-target
        users:
          root:
            ssh_keys:
              - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk test@xennix
        install:
          wipe: true
          reboot: false
          offline: true
      '';
    };

  testScript = ''
    installer.start()
    installer.wait_for_unit("multi-user.target")
    installer.succeed("test -s /etc/xennix/inputs.json")
    installer.succeed("xennix validate /etc/xennix-test/answers.yaml")
    installer.succeed("xennix install --answers /etc/xennix-test/answers.yaml >&2")
    # The target is unmounted after the install; mount it again to look.
    installer.succeed("mkdir -p /target && mount /dev/disk/by-partlabel/disk-main-root /target")
    installer.succeed("mount /dev/disk/by-partlabel/disk-main-ESP /target/boot")
    installer.succeed("test -f /target/etc/nixos/flake.nix")
    installer.succeed("test -f /target/etc/nixos/xennix/host.nix")
    installer.succeed("ls /target/boot/loader/entries/ | grep -q '^xen-'")
    installer.succeed("grep -q '^default xen-' /target/boot/loader/loader.conf")
  '';
}
