# Lists every option definition a generated NixOS module file makes: its path, the Nix type of
# its value and, for scalars, the value itself. The module is called with the arguments it
# asks for: `lib` is the XenNix lib shim (enough for mkIf/mkDefault/mkForce wrappers), `pkgs`
# holds a stand-in derivation for each attribute path in pkgNames, and `config` and
# `options` throw (generated files must not read them). The module system's wrappers
# (mkIf, mkMerge, mkOverride, mkOrder) are looked through, as the module system does.
#
#   nix-instantiate --eval --strict --json internal/nixcheck/option-paths.nix \
#     --arg file ./settings.nix --arg pkgNames '[ "htop" ]' --arg libShim ./lib-shim.nix
{
  file,
  pkgNames ? [ ],
  libShim,
}:
let
  inherit (builtins)
    attrNames
    concatLists
    foldl'
    isAttrs
    isFunction
    isList
    map
    typeOf
    ;

  fakeDrv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };

  # { a.b = drv; } from [ "a.b" ]
  setPath =
    acc: dotted:
    let
      parts = builtins.filter builtins.isString (builtins.split "\\." dotted);
      go =
        set: ps:
        let
          h = builtins.head ps;
          rest = builtins.tail ps;
        in
        set // { ${h} = if rest == [ ] then fakeDrv dotted else go (set.${h} or { }) rest; };
    in
    go acc parts;
  pkgs = foldl' setPath { } pkgNames;

  args = {
    lib = import libShim;
    inherit pkgs;
    config = throw "a generated file read config";
    options = throw "a generated file read options";
    modulesPath = throw "a generated file read modulesPath";
    inputs = throw "a generated file read inputs";
  };

  raw = import file;
  module = if isFunction raw then raw (builtins.intersectAttrs (builtins.functionArgs raw) args) else raw;

  isDrv = v: isAttrs v && (v.type or null) == "derivation";
  kind = v: if isDrv v then "derivation" else typeOf v;
  scalar = v: builtins.elem (typeOf v) [ "bool" "int" "float" "string" "null" ];

  walk =
    path: v:
    if isAttrs v && v ? _type then
      if v._type == "if" then
        # Under mkIf false an undeclared option is still an error (lib/modules.nix).
        walk path v.content
      else if v._type == "override" || v._type == "order" then
        walk path v.content
      else if v._type == "merge" then
        concatLists (map (walk path) v.contents)
      else
        [
          {
            inherit path;
            type = "_type " + v._type;
          }
        ]
    else if isAttrs v && !(isDrv v) && v != { } then
      concatLists (map (k: walk (path ++ [ k ]) v.${k}) (attrNames v))
    else
      [
        (
          {
            inherit path;
            type = kind v;
          }
          // (if scalar v then { value = v; } else { })
          // (
            if isList v then
              {
                elems = map kind v;
                values = map (e: if scalar e then e else null) v;
              }
            else
              { }
          )
        )
      ];

  # `imports` is the module system's own key, not an option: report the files it names.
  top = removeAttrs module [ "imports" ];
in
{
  imports = map toString (module.imports or [ ]);
  definitions = walk [ ] top;
}
