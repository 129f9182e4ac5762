# Example settings.nix: tmpfs root; only /persist (and the impermanence defaults) survive.
{
  networking.hostName = "xen-tmpfs";
  xennix = {
    enable = true;
    xen = {
      dom0Memory = 4096;
      extraParams = [ "sched=credit2" ];
    };
    impermanence = {
      preset = "tmpfs";
      directories = [ "/home" ];
    };
  };
}
