# Evaluates one generated /etc/nixos tree (its configuration.nix, as the host flake passes
# it to nixosSystem) with the REAL module system of nixpkgs' lib, the real impermanence
# module, disko's real device types, and the XenNix host modules the tree carries — against
# NixOS option declarations generated from shared/data/nixos-options.tsv (1,051 real
# options, with their types where they are simple). There is no freeform catch-all at the
# top level or below a declared option: defining any option NixOS does not declare fails
# with the module system's own "The option `…' does not exist".
#
#   nix-instantiate --eval --strict --json assets/nixos/tests/eval-tree.nix \
#     --argstr tree /path/to/etc/nixos --argstr libSrc $NIXPKGS_LIB \
#     --argstr diskoSrc $DISKO_SRC --argstr impermanenceSrc $IMPERMANENCE_SRC \
#     --argstr optionsTSV shared/data/nixos-options.tsv --argstr removedTSV …-removed.tsv \
#     --arg pkgNames '[ "htop" … ]'
#
# What is not real: `pkgs` (derivations are names; the tests list the attributes the tree
# uses), nixpkgs' `utils` module argument (the two functions impermanence takes from it,
# written as nixos/lib/utils.nix has them), and disko's NixOS module, which needs nixpkgs'
# modulesPath: its three definitions (fileSystems, boot, swapDevices from the devices'
# _config, disko module.nix) are made here from disko's own lib.
{
  tree,
  libSrc,
  diskoSrc,
  impermanenceSrc,
  optionsTSV,
  removedTSV,
  pkgNames ? [ ],
}:
let
  lib = import (libSrc + "/lib");
  inherit (lib) mkOption types;

  fakeDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    drvPath = "/nix/store/00000000000000000000000000000000-${name}.drv";
    meta.mainProgram = name;
    bin = fakeDrv "${name}-bin";
    out = fakeDrv "${name}-out";
  };
  setPath =
    acc: dotted:
    lib.recursiveUpdate acc (lib.setAttrByPath (lib.splitString "." dotted) (fakeDrv dotted));
  pkgs =
    lib.foldl' setPath { } pkgNames
    // {
      runCommand = name: _env: _script: fakeDrv name;
      writeShellScript = name: _text: fakeDrv name;
      writeShellScriptBin = name: _text: fakeDrv name;
      writeShellApplication = args: fakeDrv args.name;
      writeScript = name: _text: fakeDrv name;
      writeText = name: _text: fakeDrv name;
      callPackage = f: args: import f ({ inherit lib; } // args);
      stdenv.hostPlatform = {
        isx86_64 = true;
        isx86 = true;
        isEfi = true;
        system = "x86_64-linux";
      };
    };

  # nixos/lib/utils.nix: escapeSystemdPath and pathsNeededForBoot, as impermanence uses them.
  utils = {
    escapeSystemdPath =
      s:
      lib.replaceStrings [ "/" "-" " " ] [ "-" "\\x2d" "\\x20" ] (
        lib.removePrefix "/" (if lib.hasSuffix "/" s && s != "/" then lib.removeSuffix "/" s else s)
      );
    pathsNeededForBoot = [
      "/"
      "/nix"
      "/nix/store"
      "/var"
      "/var/log"
      "/var/lib"
      "/var/lib/nixos"
      "/etc"
      "/usr"
    ];
    fsNeededForBoot = fs: fs.neededForBoot || lib.elem fs.mountPoint utils.pathsNeededForBoot;
  };

  # ---- NixOS option declarations from the TSV -------------------------------------------
  lines = s: lib.filter (l: l != "" && !(lib.hasPrefix "#" l)) (lib.splitString "\n" s);
  removed = map (l: builtins.head (lib.splitString "\t" l)) (lines (builtins.readFile removedTSV));
  rows = lib.filter (r: !(lib.elem r.path removed) && !(lib.hasPrefix "environment.persistence" r.path)) (
    map (
      l:
      let
        c = lib.splitString "\t" l;
      in
      {
        path = builtins.elemAt c 0;
        type = builtins.elemAt c 1;
        default = builtins.elemAt c 2;
      }
    ) (builtins.tail (lines (builtins.readFile optionsTSV)))
    ++ extraRows
  );

  # Real NixOS options the TSV lacks (core-options.txt: path, source, type, default).
  extraRows = map (
    l:
    let
      c = lib.splitString "\t" l;
    in
    {
      path = builtins.elemAt c 0;
      type = builtins.elemAt c 2;
      default = builtins.elemAt c 3;
    }
  ) (lines (builtins.readFile ./core-options.txt));

  # A trie of the option paths: { "<opt>" = row; child = trie; }.
  trie = lib.foldl' (
    acc: r: lib.recursiveUpdate acc (lib.setAttrByPath (lib.splitString "." r.path ++ [ "<opt>" ]) r)
  ) { } rows;

  strip = t: lib.trim (builtins.head (builtins.split " \\(" t));
  simpleType =
    t:
    let
      s = strip t;
    in
    if s == "bool" then
      types.bool
    else if s == "int" || lib.hasPrefix "ints." s then
      types.int
    else if s == "str" || s == "nonEmptyStr" then
      types.str
    else if s == "lines" then
      types.lines
    else if s == "path" then
      types.either types.path types.str
    else if s == "nullOr str" then
      types.nullOr types.str
    else if s == "nullOr int" then
      types.nullOr types.int
    else if s == "nullOr bool" then
      types.nullOr types.bool
    else if s == "nullOr lines" then
      types.nullOr types.lines
    else if lib.hasPrefix "listOf" s || lib.hasPrefix "nullOr (listOf" s then
      types.listOf types.anything
    else if lib.hasPrefix "attrsOf" s then
      types.attrsOf types.anything
    else
      types.anything;
  literalDefault =
    d:
    let
      m = builtins.match "(true|false|null|-?[0-9]+|\"[^\"$\\\\]*\"|[[] []]|[{] [}])( .*)?" d;
    in
    if m == null then { } else { default = builtins.fromJSON (lib.replaceStrings [ "[ ]" "{ }" ] [ "[]" "{}" ] (builtins.head m)); };

  # A trie node's options: <name> children become attrsOf submodules, * children listOf
  # submodules, leaves options of their (simple) type, inner nodes nested option sets.
  toOptions =
    node:
    lib.mapAttrs (_: toOption) (removeAttrs node [ "<opt>" ]);
  sub = node: types.submodule { options = toOptions node; };
  toOption =
    node:
    let
      own = node."<opt>" or null;
      kids = removeAttrs node [ "<opt>" "<name>" "*" ];
      defaults = if own == null then { } else literalDefault own.default;
    in
    if node ? "<name>" then
      mkOption ({ type = types.attrsOf (sub node."<name>"); default = { }; } // defaults)
    else if node ? "*" then
      mkOption ({ type = types.listOf (sub node."*"); default = [ ]; } // defaults)
    else if kids != { } && own != null then
      # An option whose keys the TSV lists one by one (networkd sections, sshd settings):
      # exactly those keys, as the module's own check allows.
      mkOption ({ type = sub kids; default = { }; } // defaults)
    else if kids != { } then
      toOptions kids
    else
      mkOption ({ type = simpleType own.type; } // defaults);
  nixosOptions = {
    options = toOptions trie;
  };

  # ---- disko: real device types, the definitions its NixOS module makes ------------------
  diskoLib = import (diskoSrc + "/lib") {
    inherit lib;
    rootMountPoint = "/mnt";
  };
  diskoModule =
    { config, ... }:
    {
      options.disko.devices = mkOption { type = diskoLib.toplevel; };
      config = {
        fileSystems = config.disko.devices._config.fileSystems or { };
        boot = config.disko.devices._config.boot or { };
        swapDevices = config.disko.devices._config.swapDevices or [ ];
      };
    };

  eval = lib.evalModules {
    modules = [
      nixosOptions
      diskoModule
      (impermanenceSrc + "/nixos.nix")
      (tree + "/configuration.nix")
    ];
    specialArgs = {
      inherit pkgs utils;
      modulesPath = throw "modulesPath is not available here";
      inputs = throw "inputs are not available here";
    };
  };
  c = eval.config;
in
{
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
  inherit (c) warnings;
  stateVersion = c.system.stateVersion;
  hostName = c.networking.hostName;
  xen = {
    inherit (c.virtualisation.xen) enable dom0Resources;
    params = c.virtualisation.xen.boot.params;
  };
  kernelParams = c.boot.kernelParams;
  initrdSystemd = c.boot.initrd.systemd.enable;
  loader = {
    systemdBoot = c.boot.loader.systemd-boot.enable;
    systemdBootInstall = c.boot.loader.systemd-boot.extraInstallCommands;
    limine =
      if c.boot.loader.limine.enable then
        {
          inherit (c.boot.loader.limine)
            efiSupport
            biosSupport
            biosDevice
            partitionIndex
            ;
          installCommands = c.boot.loader.limine.extraInstallCommands;
        }
      else
        null;
    grub = c.boot.loader.grub.enable;
  };
  fileSystems = lib.mapAttrs (_: fs: {
    inherit (fs) fsType;
    neededForBoot = fs.neededForBoot or false;
  }) c.fileSystems;
  zfsPools = c.boot.zfs.extraPools or [ ];
  persistence = lib.mapAttrs (_: p: {
    directories = map (d: d.directory) p.directories;
    files = map (f: f.file) p.files;
  }) c.environment.persistence;
  networkd = {
    netdevs = lib.attrNames c.systemd.network.netdevs;
    networks = lib.attrNames c.systemd.network.networks;
  };
  users = lib.attrNames c.users.users;
  packages = map (p: p.name) c.environment.systemPackages;
}
