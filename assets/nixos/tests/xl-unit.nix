# Checks of the xl.cfg writer (../guests/xl.nix), builtins only:
#
#   nix-instantiate --eval --strict --json assets/nixos/tests/xl-unit.nix
#
# Result: { cases = [ { name; ok; got; want; } ]; adversarial = { text; values; disks; }; }.
# assets/guests_test.go fails on a case that is not ok, and has libxlutil read
# `adversarial.text` back: every value must come back exactly as given.
let
  xl = import ../guests/xl.nix;
  ctl = builtins.fromJSON "\"\\u0001\"";
  del = builtins.fromJSON "\"\\u007f\"";

  # ok when f's result equals want; want = null: f must throw.
  case =
    name: want: got:
    let
      r = builtins.tryEval (builtins.deepSeq got got);
    in
    {
      inherit name want;
      got = if r.success then r.value else null;
      ok = if want == null then !r.success else r.success && r.value == want;
    };

  render = settings: xl.render {
    what = "test";
    inherit settings;
  };
  s = name: value: { inherit name value; };

  nasty = "a \"quoted\" back\\slash, tab\there = # not a comment\nnewline\rcr 'single'";
  oddTarget = "/var/lib/xen/images/odd, name=x.img";
  adversarialSettings = [
    (s "name" "adv")
    (s "cmdline" nasty)
    (s "extra.list" [
      nasty
      ""
      "x]y"
      7
      true
    ])
    (s "disk" [
      (xl.diskSpec "test.disk" {
        format = "raw";
        vdev = "xvda";
        access = "ro";
        target = oddTarget;
      })
      (xl.diskSpec "test.disk" {
        vdev = "hdc";
        devtype = "cdrom";
        access = "ro";
        target = "/iso/with \"quotes\" and \\ backslash.iso";
      })
    ])
  ];
in
{
  cases = [
    (case "quote escapes quote, backslash, tab, newline and CR" "\"a\\\"b\\\\c\\td\\ne\\rf\"" (xl.quote "t" "a\"b\\c\td\ne\rf"))
    (case "quote keeps # and single quotes" "\"x # 'y'\"" (xl.quote "t" "x # 'y'"))
    (case "quote refuses other control characters" null (xl.quote "t" "a${ctl}b"))
    (case "quote refuses DEL" null (xl.quote "t" "a${del}b"))
    (case "quote refuses a non-string" null (xl.quote "t" 1))
    (case "booleans are numbers" "a = 1\nb = 0\n" (render [
      (s "a" true)
      (s "b" false)
    ]))
    (case "integers" "memory = 1024\n" (render [ (s "memory" 1024) ]))
    (case "negative integers are refused" null (render [ (s "a" (-1)) ]))
    (case "floats are refused" null (render [ (s "a" 1.5) ]))
    (case "attribute sets are refused" null (render [ (s "a" { }) ]))
    (case "nested lists are refused" null (render [ (s "a" [ [ "x" ] ]) ]))
    (case "lists" "vif = [ \"a\", 2, 1 ]\n" (render [ (s "vif" [ "a" 2 true ]) ]))
    (case "empty list" "pci = [ ]\n" (render [ (s "pci" [ ]) ]))
    (case "null values are left out" "a = 1\n" (render [
      (s "a" 1)
      (s "b" null)
    ]))
    (case "keys keep their order" "z = 1\na = 2\n" (render [
      (s "z" 1)
      (s "a" 2)
    ]))
    (case "a key with dots, digits and _" "a.b_1 = 1\n" (render [ (s "a.b_1" 1) ]))
    (case "an upper-case key is refused" null (render [ (s "Name" 1) ]))
    (case "a key starting with _ is refused" null (render [ (s "_a" 1) ]))
    (case "a key with - is refused" null (render [ (s "a-b" 1) ]))
    (case "a key with = is refused" null (render [ (s "a=b" 1) ]))
    (case "an empty key is refused" null (render [ (s "" 1) ]))
    (case "a key given twice is refused" null (render [
      (s "a" 1)
      (s "a" 2)
    ]))
    (case "a one-line comment" "# hi\na = 1\n" (xl.render {
      what = "t";
      comment = "hi";
      settings = [ (s "a" 1) ];
    }))
    (case "a comment with a newline is refused" null (xl.render {
      what = "t";
      comment = "hi\nname = \"evil\"";
      settings = [ ];
    }))
    (case "disk target is last and keeps commas, = and spaces" "format=raw,vdev=xvda,access=ro,target=${oddTarget}" (xl.diskSpec "d" {
      target = oddTarget;
      access = "ro";
      vdev = "xvda";
      format = "raw";
    }))
    (case "disk target alone" "target=/dev/sdb" (xl.diskSpec "d" { target = "/dev/sdb"; }))
    (case "an empty disk target is refused" null (xl.diskSpec "d" { target = ""; }))
    (case "a disk target with a newline is refused" null (xl.diskSpec "d" { target = "/a\nb"; }))
    (case "a comma in a disk vdev is refused" null (xl.diskSpec "d" {
      target = "/a";
      vdev = "xvda,script=/tmp/evil";
    }))
    (case "an = in a disk format is refused" null (xl.diskSpec "d" {
      target = "/a";
      format = "raw=1";
    }))
    (case "vif spec" "mac=00:16:3e:00:00:01,bridge=xenbr0" (xl.vifSpec "v" [
      (s "mac" "00:16:3e:00:00:01")
      (s "bridge" "xenbr0")
      (s "script" null)
    ]))
    (case "a comma injected into a vif bridge is refused" null (xl.vifSpec "v" [ (s "bridge" "xenbr0,script=/tmp/evil") ]))
    (case "an = in a vif value is refused" null (xl.vifSpec "v" [ (s "bridge" "a=b") ]))
    (case "a space in a vif value is refused" null (xl.vifSpec "v" [ (s "bridge" "xen br0") ]))
    (case "a tab in a vif value is refused" null (xl.vifSpec "v" [ (s "bridge" "xen\tbr0") ]))
    (case "an empty vif value is refused" null (xl.vifSpec "v" [ (s "bridge" "") ]))
    (case "a bad spec key is refused" null (xl.vifSpec "v" [ (s "Bridge" "x") ]))
    (case "pci spec" "0000:03:00.0" (xl.pciSpec "p" "0000:03:00.0" [ ]))
    (case "pci spec with options" "0000:03:00.1,permissive=1" (xl.pciSpec "p" "0000:03:00.1" [ (s "permissive" true) ]))
    (case "a BDF without its domain is refused" null (xl.pciSpec "p" "03:00.0" [ ]))
    (case "a BDF with function 8 is refused" null (xl.pciSpec "p" "0000:03:00.8" [ ]))
    (case "an upper-case BDF is refused" null (xl.pciSpec "p" "0000:0A:00.0" [ ]))
    (case "a BDF with a spec appended is refused" null (xl.pciSpec "p" "0000:03:00.0,seize=1" [ ]))
  ];

  adversarial = {
    text = render adversarialSettings;
    values = {
      name = "adv";
      cmdline = nasty;
      "extra.list" = [
        nasty
        ""
        "x]y"
        "7"
        "1"
      ];
    };
    disks = [
      {
        target = oddTarget;
        vdev = "xvda";
        cdrom = false;
      }
      {
        target = "/iso/with \"quotes\" and \\ backslash.iso";
        vdev = "hdc";
        cdrom = true;
      }
    ];
  };
}
