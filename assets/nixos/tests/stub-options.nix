# The NixOS option paths stubs.nix (both Xen module generations) and guest-stubs.nix
# declare: every NixOS option the host modules, and a NixOS guest's evaluation, may set,
# since evaluating them against the stubs fails on any other. TestOptionsKnownToNixOS checks
# these against NixOS' real option list.
#
#   NIXPKGS_LIB=/path/to/nixpkgs.lib nix-instantiate --eval --strict --json \
#     assets/nixos/tests/stub-options.nix
let
  lib = import "${builtins.getEnv "NIXPKGS_LIB"}/lib";
  fakeDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
  stubs = import ./stubs.nix { inherit lib fakeDrv; };
  walkOptions =
    options:
    let
      walk =
        prefix: v:
        if lib.isOption v then
          [ (lib.concatStringsSep "." prefix) ]
        else if builtins.isAttrs v then
          lib.concatMap (n: if lib.hasPrefix "_" n then [ ] else walk (prefix ++ [ n ]) v.${n}) (
            builtins.attrNames v
          )
        else
          [ ];
    in
    walk [ ] options;
  paths = gen: walkOptions (lib.evalModules { modules = stubs { xenGeneration = gen; }; }).options;
  guestPaths = walkOptions (lib.evalModules { modules = import ./guest-stubs.nix { inherit lib fakeDrv; }; }).options;
in
lib.unique (lib.sort (a: b: a < b) (paths "new" ++ paths "old" ++ guestPaths))
