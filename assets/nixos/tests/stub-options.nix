# The NixOS option paths stubs.nix declares (both Xen module generations): every NixOS
# option the host modules may set, since evaluating them against the stubs fails on any
# other. TestOptionsKnownToNixOS checks these against NixOS' real option list.
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
  paths =
    gen:
    let
      eval = lib.evalModules { modules = stubs { xenGeneration = gen; }; };
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
    walk [ ] eval.options;
in
lib.unique (lib.sort (a: b: a < b) (paths "new" ++ paths "old"))
