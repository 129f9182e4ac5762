# An xl.cfg writer (xl.cfg(5)) that never lets a value become syntax, as nixexpr does for
# Nix. Builtins only, no nixpkgs lib: the tests run it with a bare nix-instantiate.
#
# What xl accepts was read from Xen's parser, libxlutil (tools/libs/util/libxlu_cfg_l.l,
# libxlu_cfg_y.y, libxlu_cfg.c xlu__cfgl_dequote; xl-disk-configuration(5)) and checked
# against Debian's libxlutil 4.17 (assets/testdata/xlucheck):
#   - a key is [a-z][._0-9a-z]* ("Foo", "_a", "a-b" are lexical errors);
#   - a value is a number, a quoted string, or a list [ v, v ] of those; booleans are
#     numbers; a number is [0-9]+ ("-1" is a lexical error);
#   - inside "…" the escapes \" \' \\ \a \b \f \n \r \t \v work; the numeric ones do not
#     (\x41 is refused as "invalid digit", \101 silently becomes an empty string), so
#     other control characters cannot be written at all and are refused here; a raw newline
#     ends the token (lexical error);
#   - a DISKSPEC is comma-separated key=value pairs, and `target=` must be last: it
#     "consumes the whole rest of the DISKSPEC", commas, = and spaces included. Every other
#     spec value (disk, vif, pci) ends at , or = and is refused when it has either, or
#     whitespace.
#
# Every function takes `what`, the option path that the value came from, for its message.
let
  inherit (builtins)
    all
    concatStringsSep
    elemAt
    genList
    isBool
    isInt
    isList
    isString
    length
    match
    replaceStrings
    stringLength
    substring
    throw
    toString
    typeOf
    ;

  fail = what: msg: throw "xennix xl.cfg: ${what}: ${msg}";

  # Characters xl strings can carry through an escape (see above).
  escapes = {
    from = [
      "\\"
      "\""
      "\n"
      "\t"
      "\r"
    ];
    to = [
      "\\\\"
      "\\\""
      "\\n"
      "\\t"
      "\\r"
    ];
  };

  # Whether s holds a control character (regex search, so newlines need no care).
  hasAnyControl = s: length (builtins.split "[[:cntrl:]]" s) > 1;
  # Any control character the escapes above do not cover (Nix strings cannot hold NUL).
  hasControl = s: hasAnyControl (replaceStrings [ "\n" "\t" "\r" ] [ "" "" "" ] s);

  # A value in a message, control characters visible (\u0007).
  show = v: if isString v then builtins.toJSON v else toString v;

  quote =
    what: s:
    if !isString s then
      fail what "want a string, got a ${typeOf s}"
    else if hasControl s then
      fail what "${show s} holds a control character that xl.cfg strings cannot carry (only \\n, \\t and \\r are escaped)"
    else
      "\"${replaceStrings escapes.from escapes.to s}\"";

  validKey = k: isString k && match "[a-z][._0-9a-z]*" k != null;

  atom =
    what: v:
    if isBool v then
      (if v then "1" else "0")
    else if isInt v then
      (if v < 0 then fail what "${toString v}: xl.cfg has no negative numbers" else toString v)
    else if isString v then
      quote what v
    else
      fail what "want a string, an integer or a boolean, got a ${typeOf v}";

  value =
    what: v:
    if v == [ ] then
      "[ ]"
    else if isList v then
      "[ "
      + concatStringsSep ", " (genList (i: atom "${what}[${toString i}]" (elemAt v i)) (length v))
      + " ]"
    else
      atom what v;

  # settings: a list of { name; value; } in the order they are written; a null value
  # is left out. Names must be unique, so that a later entry cannot silently override.
  render =
    {
      what,
      comment ? null,
      settings,
    }:
    let
      kept = builtins.filter (s: s.value != null) settings;
      names = map (s: s.name) kept;
      dup = builtins.filter (n: length (builtins.filter (m: m == n) names) > 1) names;
      line =
        s:
        if !validKey s.name then
          fail what "${show s.name} is not an xl.cfg key (want [a-z][._0-9a-z]*)"
        else
          "${s.name} = ${value "${what}.${s.name}" s.value}\n";
      commentLines =
        if comment == null then
          ""
        else if hasAnyControl comment then
          fail what "the comment must be one line"
        else
          "# ${comment}\n";
    in
    if dup != [ ] then
      fail what "key ${builtins.head dup} given twice"
    else
      commentLines + concatStringsSep "" (map line kept);

  # A value inside a DEVSPEC (disk, vif, pci): no separator, no whitespace, no control
  # character, not empty.
  specValue =
    what: v:
    let
      s =
        if isBool v then
          (if v then "1" else "0")
        else if isInt v then
          toString v
        else if isString v then
          v
        else
          fail what "want a string or an integer, got a ${typeOf v}";
    in
    if s == "" then
      fail what "is empty"
    else if length (builtins.split "[,=[:space:]]" s) > 1 || hasAnyControl s then
      fail what "${show s} holds a comma, an = or whitespace, which would end the value in an xl device spec"
    else
      s;

  # pairs: a list of { name; value; } (null values left out) -> "k=v,k=v".
  specPairs =
    what: pairs:
    concatStringsSep "," (
      map (
        p:
        if match "[a-z][a-z0-9_-]*" p.name == null then
          fail what "${show p.name} is not a device spec key"
        else
          "${p.name}=${specValue "${what}.${p.name}" p.value}"
      ) (builtins.filter (p: p.value != null) pairs)
    );

  # xl-disk-configuration(5). target is written last and may hold anything but control
  # characters; every other key is a plain value.
  diskSpec =
    what:
    {
      target,
      format ? null,
      vdev ? null,
      access ? null,
      devtype ? null,
      backendtype ? null,
      script ? null,
    }:
    let
      head = specPairs what [
        {
          name = "format";
          value = format;
        }
        {
          name = "vdev";
          value = vdev;
        }
        {
          name = "access";
          value = access;
        }
        {
          name = "devtype";
          value = devtype;
        }
        {
          name = "backendtype";
          value = backendtype;
        }
        {
          name = "script";
          value = script;
        }
      ];
    in
    if !isString target || target == "" then
      fail "${what}.target" "want a non-empty path"
    else if hasAnyControl target then
      fail "${what}.target" "${show target} holds a control character"
    else
      (if head == "" then "" else head + ",") + "target=" + target;

  # xl-network-configuration(5); pairs as for specPairs, written in the given order.
  vifSpec = specPairs;

  validBDF = s: isString s && match "[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]" s != null;

  # xl-pci-configuration(5): BDF[,key=value...].
  pciSpec =
    what: bdf: options:
    if !validBDF bdf then
      fail what "${show bdf} is not a PCI address like 0000:03:00.0 (lower-case hex, with the domain)"
    else
      let
        rest = specPairs what options;
      in
      bdf + (if rest == "" then "" else "," + rest);
in
{
  inherit
    quote
    value
    render
    specValue
    specPairs
    diskSpec
    vifSpec
    pciSpec
    validKey
    validBDF
    ;
}
