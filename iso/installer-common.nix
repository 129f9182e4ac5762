# What the installer ISO and the netboot image share: the xennix binary and its tools, the
# flake inputs the installed host will be pinned to (with their sources in the image's
# store), the example host's closure for an offline install, consoles, and the installer
# started on tty1.
#
# Needs the flake's `inputs` as a module argument (specialArgs in flake.nix).
{
  config,
  lib,
  pkgs,
  inputs,
  ...
}:
let
  system = pkgs.stdenv.hostPlatform.system;

  # The GitHub coordinates of each input. Flake inputs carry rev, narHash, lastModified and
  # outPath but not owner/repo, so these must match the urls in flake.nix.
  sources = {
    nixpkgs = {
      owner = "NixOS";
      repo = "nixpkgs";
    };
    disko = {
      owner = "nix-community";
      repo = "disko";
    };
    impermanence = {
      owner = "nix-community";
      repo = "impermanence";
    };
  }
  # XenNix itself, so that the installed host's flake can carry xennix (xennix-setup) too.
  # Only an image built from a clean git checkout knows its revision.
  // lib.optionalAttrs (inputs.self ? rev) {
    xennix = {
      owner = "xennix";
      repo = "xennix";
    };
  };

  # installer/target.go (Input, LoadInputs) reads this format. `path` is the input's source
  # in the store; the string carries its store path as a dependency, so the image's store
  # holds every source the installed host's flake.lock names.
  locked =
    name: src:
    let
      input = if name == "xennix" then inputs.self else inputs.${name};
    in
    {
      type = "github";
      inherit (src) owner repo;
      inherit (input) rev narHash lastModified;
      path = "${input.outPath}";
    };

  # A host like most installs (UEFI, ext4): its closure in the image means nixos-install,
  # which substitutes from the live store, downloads next to nothing.
  exampleHost = inputs.self.nixosConfigurations.example-uefi-ext4-dhcp.config.system.build.toplevel;
in
{
  environment.systemPackages = [
    pkgs.xennix
    inputs.disko.packages.${system}.disko
    pkgs.xen # xl, for probing and for checking the installed host
    pkgs.pciutils
    pkgs.hwdata
    pkgs.jq
    pkgs.git
  ];

  # hwdetect (ghw's pcidb) needs a pci.ids database; hwdata has one.
  environment.variables.PCIDB_PATH = "${pkgs.hwdata}/share/hwdata/pci.ids";

  environment.etc."xennix/inputs.json".text = builtins.toJSON (lib.mapAttrs locked sources);

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  # The example host's runtime closure plus what building a host's own derivations (etc,
  # initrd, system path, xl.conf, units) needs.
  system.extraDependencies = [
    exampleHost
    pkgs.stdenv
    pkgs.stdenvNoCC
  ];

  # Kernel messages on screen and on the first serial port; the last console= is
  # /dev/console, where systemd and emergency shells go.
  boot.kernelParams = [
    "console=tty0"
    "console=ttyS0,115200"
  ];

  # installation-device.nix logs in "nixos" on every console; XenNix's installer runs as root.
  services.getty.autologinUser = lib.mkForce "root";
  services.getty.helpLine = lib.mkAfter ''

    XenNix: the installer runs on tty1 (Alt+F1). Here, run `xennix install` to use it on this
    console instead, `xennix probe` to see the hardware.
  '';

  # Start the installer in the root login shell of tty1, once per boot. Without --answers it
  # looks for answers itself (xennix.answers= on the kernel command line, a volume labelled
  # XENNIX-ANS, HTTP) and runs headless when it finds some, else interactively.
  environment.loginShellInit = lib.mkAfter ''
    if [ "$(tty)" = /dev/tty1 ] && [ "$(id -u)" = 0 ] && mkdir /run/xennix-installer-started 2>/dev/null; then
      xennix install
      echo "xennix install exited with status $?; run 'xennix install' to start it again."
    fi
  '';
}
