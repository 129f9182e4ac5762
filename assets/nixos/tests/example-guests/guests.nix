# Example guests (xennix.guests): a NixOS guest booted from the host's store, an installer
# ISO guest with a passed-through PCI device, and a guest on an existing physical disk.
{
  # The installer guest's PCI device, hidden from dom0's drivers at boot.
  xennix.xen.passthrough = [ "0000:03:00.0" ];

  xennix.guests = {
    web = {
      memory = 1024;
      vcpus = 2;
      # Created once as /var/lib/xen/images/web-var.img, formatted by the guest.
      disks = [
        {
          volume = "var";
          size = "10G";
        }
      ];
      network = [
        {
          ipv4.address = "192.168.1.20/24";
          ipv4.gateway = "192.168.1.1";
        }
      ];
      sshAuthorizedKeys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"
      ];
      nixos.config =
        { pkgs, ... }:
        {
          fileSystems."/var" = {
            device = "/dev/xvdb";
            fsType = "ext4";
            autoFormat = true;
          };
          networking.nameservers = [ "192.168.1.1" ];
          environment.systemPackages = [ pkgs.htop ];
          system.stateVersion = "25.11";
        };
    };

    installer = {
      kind = "iso";
      iso = "/var/lib/xen/iso/debian-13-netinst.iso";
      memory = 4096;
      vcpus = 2;
      pci = [ "0000:03:00.0" ];
      disks = [
        {
          volume = "root";
          size = "40G";
        }
      ];
    };

    legacy = {
      kind = "image";
      memory = 2048;
      autostart = false;
      restartIfChanged = false;
      disks = [ { target = "/dev/disk/by-id/ata-EXAMPLE_DISK_SERIAL0001"; } ];
    };
  };
}
