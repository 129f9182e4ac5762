# Lists the options the XenNix host modules declare, without nixpkgs:
#
#   nix-instantiate --eval --strict --json assets/nixos/tests/declared-options.nix
#
# Each module file is called with the lib shim (lib-shim.nix) and `config`, `options` and
# `pkgs` that throw when touched: declarations must not depend on them (defaults may, lazily).
# Result: [ { path = "xennix.enable"; type = "bool"; default = false; hasDefault = true;
# defaultText = null; } ... ], sorted by path. The options of a submodule are listed under
# its option's path: `xennix.guests.<name>.memory` (attrsOf), `….disks.*.target` (listOf). `default` is null when it cannot be computed
# here (it reads config); then defaultText says what it is.
let
  root = ../host.nix;
  lib = import ./lib-shim.nix;
  args = {
    inherit lib;
    config = throw "declared-options.nix: a declaration read config";
    options = throw "declared-options.nix: a declaration read options";
    pkgs = throw "declared-options.nix: a declaration read pkgs";
    modulesPath = throw "declared-options.nix: a declaration read modulesPath";
    utils = throw "declared-options.nix: a declaration read utils";
  };

  load =
    m:
    let
      v = if builtins.isPath m || builtins.isString m then import m else m;
    in
    if builtins.isFunction v then v args else v;

  collect =
    m:
    let
      r = load m;
    in
    [ r ] ++ lib.concatMap collect (r.imports or [ ]);

  isOption = v: builtins.isAttrs v && (v._type or null) == "option";

  render =
    x:
    if builtins.isAttrs x && x ? _type && x ? text then
      x.text
    else
      x;

  plainDefault =
    o:
    if o.hasDefault or false then
      let
        r = builtins.tryEval (builtins.deepSeq o.default o.default);
      in
      if r.success then r.value else null
    else
      null;

  # The options inside a submodule type, and the path component for its elements.
  subOptions =
    t:
    let
      sub =
        if t.name == "submodule" then
          {
            type = t;
            part = [ ];
          }
        else if (t.name == "attrsOf" || t.name == "listOf") && t.nestedTypes.elemType.name == "submodule" then
          {
            type = t.nestedTypes.elemType;
            part = if t.name == "attrsOf" then [ "<name>" ] else [ "*" ];
          }
        else
          null;
      m = sub.type.module;
      loaded = if builtins.isFunction m then m (args // { name = "<name>"; config = throw "declared-options.nix: a declaration read the submodule's config"; }) else m;
    in
    if sub == null then null else { inherit (sub) part; options = loaded.options or { }; };

  walk =
    prefix: v:
    if isOption v then
      let
        sub = subOptions v.type;
      in
      [
        {
          path = builtins.concatStringsSep "." prefix;
          type = v.type.description;
          hasDefault = v.hasDefault or false;
          default = if v.defaultText or null != null then null else plainDefault v;
          defaultText = if v.defaultText or null == null then null else render v.defaultText;
          hasDescription = (v.description or null) != null;
        }
      ]
      ++ (if sub == null then [ ] else walk (prefix ++ sub.part) sub.options)
    else if builtins.isAttrs v then
      lib.concatMap (n: walk (prefix ++ [ n ]) v.${n}) (builtins.attrNames v)
    else
      [ ];

  declared = lib.concatMap (m: walk [ ] (m.options or { })) (collect root);
in
builtins.sort (a: b: a.path < b.path) declared
