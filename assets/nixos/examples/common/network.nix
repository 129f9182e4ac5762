# Stand-in for the network.nix that netsetup renders: bridge xenbr0 over eno1, DHCP.
{
  networking = {
    useNetworkd = true;
    useDHCP = false;
  };
  systemd.network = {
    enable = true;
    netdevs."20-xenbr0".netdevConfig = {
      Name = "xenbr0";
      Kind = "bridge";
    };
    networks = {
      "05-xen-guests" = {
        matchConfig.Name = "vif* tap*";
        linkConfig.Unmanaged = true;
      };
      "30-eno1" = {
        matchConfig.Name = "eno1";
        networkConfig.Bridge = "xenbr0";
        linkConfig.RequiredForOnline = "enslaved";
      };
      "40-xenbr0" = {
        matchConfig.Name = "xenbr0";
        networkConfig.DHCP = "ipv4";
        linkConfig.RequiredForOnline = "routable";
      };
    };
  };
}
