# A small stand-in for nixpkgs' `lib`, enough to evaluate the XenNix host modules' option
# *declarations* without nixpkgs (tests run where only nix-instantiate exists). It does not
# merge definitions itself: declared-options.nix only walks `options`, and mini-modules.nix
# (a small evalModules over this shim) merges the guests module's definitions. Types carry
# a `description` written the way OPTIONS.md writes them ("nullOr str", "enum uefi, bios");
# submodule types carry their module (`module`), so that their options can be listed.
#
# Names follow nixpkgs lib (lib/options.nix, lib/types.nix, lib/modules.nix, lib/lists.nix,
# lib/attrsets.nix, lib/strings.nix); behaviour is the same for what the modules use.
let
  inherit (builtins)
    concatStringsSep
    filter
    foldl'
    genList
    head
    isList
    length
    map
    tail
    ;

  mkType =
    name: description: extra:
    {
      _type = "option-type";
      inherit name description;
    }
    // extra;

  types = rec {
    bool = mkType "bool" "bool" { };
    int = mkType "int" "int" { };
    # OPTIONS.md writes the unsigned/positive integers as plain "int".
    ints = {
      unsigned = mkType "unsignedInt" "int" { };
      positive = mkType "positiveInt" "int" { };
      between = lo: hi: mkType "intBetween" "int" { };
    };
    str = mkType "str" "str" { };
    nonEmptyStr = mkType "nonEmptyStr" "str" { };
    lines = mkType "lines" "lines" { };
    path = mkType "path" "path" { };
    package = mkType "package" "package" { };
    anything = mkType "anything" "anything" { };
    attrs = mkType "attrs" "attrs" { };
    enum = values: mkType "enum" "enum ${concatStringsSep ", " (map toString values)}" { inherit values; };
    nullOr = t: mkType "nullOr" "nullOr ${t.description}" { nestedTypes.elemType = t; };
    listOf = t: mkType "listOf" "listOf ${t.description}" { nestedTypes.elemType = t; };
    attrsOf = t: mkType "attrsOf" "attrsOf ${t.description}" { nestedTypes.elemType = t; };
    oneOf = ts: mkType "oneOf" "oneOf ${concatStringsSep ", " (map (t: t.description) ts)}" { };
    either = a: b: mkType "either" "${a.description} or ${b.description}" { };
    submodule = m: mkType "submodule" "submodule" { module = m; };
    functionTo = t: mkType "functionTo" "functionTo ${t.description}" { nestedTypes.elemType = t; };
    deferredModule = mkType "deferredModule" "deferredModule" { };
    unspecified = mkType "unspecified" "unspecified" { };
  };

  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };

  optionalAttrs = cond: as: if cond then as else { };
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  concatMap = f: xs: builtins.concatLists (map f xs);
  stringToCharacters = s: genList (i: builtins.substring i 1 s) (builtins.stringLength s);
  recursiveUpdate = a: b: a // builtins.mapAttrs (n: v: if builtins.isAttrs v && builtins.isAttrs (a.${n} or null) && !(v ? _type) then recursiveUpdate a.${n} v else v) b;
  imap1 = f: xs: genList (i: f (i + 1) (builtins.elemAt xs i)) (length xs);
  imap0 = f: xs: genList (i: f i (builtins.elemAt xs i)) (length xs);
in
{
  inherit types mkOverride optionalAttrs optional optionals concatMap imap1 imap0;
  lists = { inherit imap0; };

  mkOption =
    {
      type ? types.anything,
      default ? null,
      defaultText ? null,
      example ? null,
      description ? null,
      ...
    }@attrs:
    attrs
    // {
      _type = "option";
      inherit type;
      hasDefault = attrs ? default;
    };

  mkEnableOption = name: {
    _type = "option";
    type = types.bool;
    default = false;
    hasDefault = true;
    description = "Whether to enable ${name}.";
  };

  mkPackageOption = pkgs: name: args: {
    _type = "option";
    type = types.package;
    hasDefault = false;
    defaultText = "pkgs.${name}";
    description = "The ${name} package to use.";
  };

  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };
  literalMD = text: {
    _type = "literalMD";
    inherit text;
  };
  mdDoc = s: s;

  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };
  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  mkOptionDefault = mkOverride 1500;
  mkBefore = content: {
    _type = "order";
    priority = 500;
    inherit content;
  };
  mkAfter = content: {
    _type = "order";
    priority = 1500;
    inherit content;
  };

  inherit (builtins)
    attrNames
    attrValues
    elem
    filter
    head
    length
    replaceStrings
    toJSON
    ;
  all = builtins.all;
  any = builtins.any;
  concatStrings = concatStringsSep "";
  concatStringsSep = concatStringsSep;
  concatMapStrings = f: xs: concatStringsSep "" (map f xs);
  concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
  concatImapStringsSep = sep: f: xs: concatStringsSep sep (imap1 f xs);
  optionalString = cond: s: if cond then s else "";
  hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
  hasSuffix =
    p: s:
    let
      lp = builtins.stringLength p;
      ls = builtins.stringLength s;
    in
    ls >= lp && builtins.substring (ls - lp) lp s == p;
  removePrefix =
    p: s:
    if builtins.substring 0 (builtins.stringLength p) s == p then
      builtins.substring (builtins.stringLength p) (-1) s
    else
      s;
  removeSuffix =
    p: s:
    let
      lp = builtins.stringLength p;
      ls = builtins.stringLength s;
    in
    if ls >= lp && builtins.substring (ls - lp) lp s == p then builtins.substring 0 (ls - lp) s else s;
  splitString = sep: s: filter builtins.isString (builtins.split (builtins.replaceStrings [ "." "/" ] [ "\\." "/" ] sep) s);
  # As lib/strings.nix: safe strings stay unquoted.
  escapeShellArg =
    arg:
    let
      s = toString arg;
    in
    if builtins.match "[[:alnum:],._+:@%/-]+" s == null then "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'" else s;
  toInt = s: builtins.fromJSON s;
  mapAttrsToList = f: as: map (n: f n as.${n}) (builtins.attrNames as);
  getExe = p: "${p}/bin/${p.meta.mainProgram or p.pname or p.name}";
  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  flatten = x: if isList x then concatMap (y: if isList y then y else [ y ]) x else [ x ];
  concatLists = builtins.concatLists;
  count = pred: xs: length (filter pred xs);
  mod = a: b: a - (a / b) * b;
  toLower = builtins.replaceStrings (stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ") (
    stringToCharacters "abcdefghijklmnopqrstuvwxyz"
  );
  inherit stringToCharacters;
  reverseList = xs: genList (i: builtins.elemAt xs (length xs - 1 - i)) (length xs);
  nameValuePair = name: value: { inherit name value; };
  listToAttrs = builtins.listToAttrs;
  mapAttrs = builtins.mapAttrs;
  mapAttrs' = f: as: builtins.listToAttrs (map (n: f n as.${n}) (builtins.attrNames as));
  filterAttrs = pred: as: builtins.listToAttrs (concatMap (n: if pred n as.${n} then [ { name = n; value = as.${n}; } ] else [ ]) (builtins.attrNames as));
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  isDerivation = v: builtins.isAttrs v && (v.type or null) == "derivation";
  inherit recursiveUpdate;
}
