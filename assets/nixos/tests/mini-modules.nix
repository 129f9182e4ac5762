# A small lib.evalModules over the lib shim (lib-shim.nix), so that the guests module and
# the guest-side module can be evaluated where only nix-instantiate exists (CI has no
# nixpkgs). guests-eval.nix runs the same examples through the real lib.evalModules when
# NIXPKGS_LIB is set, and the tests expect the same output from both.
#
# What it does, as nixpkgs lib/modules.nix does for what these modules use:
#   - modules are paths, functions ({ config, lib, options, name, ... }) or attribute sets,
#     with imports, options and config (or definitions at the top level);
#   - mkIf, mkMerge, mkOverride (mkDefault, mkForce), mkBefore/mkAfter (order ignored);
#   - the definitions of the highest priority win; lists concatenate, attribute sets merge
#     by name, other values must agree;
#   - option defaults (priority 1500), and submodules: attrsOf (submodule m),
#     listOf (submodule m), submodule m; deferredModule collects its definitions.
# What it does not: type checks (the real evaluation does them), mkOrder, readOnly.
lib:
let
  inherit (builtins)
    all
    attrNames
    concatLists
    concatMap
    elem
    filter
    foldl'
    head
    isAttrs
    isFunction
    isList
    isPath
    isString
    length
    map
    ;

  isLeafValue = v: !(isAttrs v) || (v.type or null) == "derivation" || (v ? outPath);

  # A definition, with the mkIf/mkMerge/mkOverride layers at its top taken off:
  # [ { prio; value; } ].
  flatten =
    prio: v:
    let
      t = if isAttrs v then v._type or null else null;
    in
    if t == "if" then
      (if v.condition then flatten prio v.content else [ ])
    else if t == "merge" then
      concatMap (flatten prio) v.contents
    else if t == "override" then
      flatten v.priority v.content
    else if t == "order" then
      flatten prio v.content
    else
      [
        {
          inherit prio;
          value = v;
        }
      ];

  minPrio = items: foldl' (m: i: if i.prio < m then i.prio else m) 9999 items;

  typeOf = v: if isAttrs v then v._type or null else null;

  # As lib/modules.nix pushDownProperties: the names an attribute-set definition defines,
  # and its definitions of one name with the mkIf/mkOverride around it pushed down, without
  # evaluating any condition (a condition may read config).
  namesOf =
    v:
    let
      t = typeOf v;
    in
    if t == "if" || t == "override" || t == "order" then
      namesOf v.content
    else if t == "merge" then
      concatMap namesOf v.contents
    else
      attrNames v;
  childOf =
    n: v:
    let
      t = typeOf v;
    in
    if t == "if" then
      map (c: v // { content = c; }) (childOf n v.content)
    else if t == "override" then
      map (c: v // { content = c; }) (childOf n v.content)
    else if t == "order" then
      childOf n v.content
    else if t == "merge" then
      concatMap (childOf n) v.contents
    else if v ? ${n} then
      [ v.${n} ]
    else
      [ ];
  isAttrsDef =
    v:
    let
      t = typeOf v;
    in
    if t == "if" || t == "override" || t == "order" then
      isAttrsDef v.content
    else if t == "merge" then
      all isAttrsDef v.contents
    else
      isAttrs v && !(isLeafValue v);

  isOption = v: isAttrs v && (v._type or null) == "option";

  # Merge the definitions `defs` of one path, declared by `decl` (an option, an attribute
  # set of declarations, or null for an undeclared path).
  mergeAt =
    path: decl: defs:
    if isOption decl then
      mergeOption path decl (concatMap (flatten 100) defs)
    else if (decl != null && defs == [ ]) || (defs != [ ] && all isAttrsDef defs) then
      let
        names = lib.unique (concatMap namesOf defs ++ (if decl == null then [ ] else attrNames decl));
      in
      lib.genAttrs names (n: mergeAt (path ++ [ n ]) (if decl == null then null else decl.${n} or null) (concatMap (childOf n) defs))
    else
      let
        items = concatMap (flatten 100) defs;
        top = filter (i: i.prio == minPrio items) items;
      in
      if items == [ ] then
        throw "mini-modules: ${lib.concatStringsSep "." path} is used but not defined"
      else if all (i: isList i.value) top then
        concatMap (i: i.value) top
      else
        single path (map (i: i.value) top);

  single =
    path: vs:
    if length vs == 1 || all (v: v == head vs) vs then
      head vs
    else
      throw "mini-modules: ${lib.concatStringsSep "." path} has conflicting definitions";

  mergeOption =
    path: o: items0:
    let
      items = if items0 == [ ] && (o.hasDefault or false) then flatten 1500 o.default else items0;
      top = filter (i: i.prio == minPrio items) items;
      vs = map (i: i.value) top;
      t = o.type;
      elemT = t.nestedTypes.elemType or null;
    in
    if items == [ ] then
      throw "mini-modules: option ${lib.concatStringsSep "." path} is used but not defined"
    else if t.name == "attrsOf" && elemT.name == "submodule" then
      let
        names = lib.unique (concatMap attrNames vs);
      in
      lib.genAttrs names (
        n:
        (evalModules {
          modules = [ elemT.module ] ++ concatMap (v: if v ? ${n} then [ v.${n} ] else [ ]) vs;
          specialArgs.name = n;
        }).config
      )
    else if t.name == "listOf" && elemT != null && elemT.name == "submodule" then
      map (d: (evalModules { modules = [ elemT.module d ]; }).config) (concatLists vs)
    else if t.name == "submodule" then
      (evalModules { modules = [ t.module ] ++ vs; }).config
    else if t.name == "deferredModule" then
      { imports = vs; }
    else if t.name == "listOf" then
      concatLists vs
    else if (t.name == "attrsOf" || t.name == "attrs" || t.name == "anything") && all (v: isAttrs v && !(isLeafValue v)) vs then
      mergeAt path null vs
    else if t.name == "lines" then
      lib.concatStringsSep "\n" vs
    else
      single path vs;

  evalModules =
    {
      modules,
      specialArgs ? { },
    }:
    let
      args = specialArgs // {
        inherit lib config options;
      };
      load =
        m:
        let
          v = if isPath m || isString m then import m else m;
        in
        if isFunction v then v args else v;
      # Definitions of a list come in the order lib.evalModules gives them: the modules
      # breadth first (the given ones, then their imports, …), last first.
      levels = level: if level == [ ] then [ ] else level ++ levels (concatMap (r: map load (r.imports or [ ])) level);
      loaded = lib.reverseList (levels (map load modules));
      options = foldl' lib.recursiveUpdate { } (map (r: r.options or { }) loaded);
      defs = map (
        r:
        if r ? config || r ? options then
          r.config or { }
        else
          removeAttrs r [
            "imports"
            "_file"
            "key"
            "meta"
          ]
      ) loaded;
      config = mergeAt [ ] options defs;
    in
    {
      inherit config options;
    };
in
evalModules
