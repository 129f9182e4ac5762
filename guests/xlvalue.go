package guests

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ReservedXLKeys are the xl.cfg keys a guest's extraConfig may not set: the guest's unit
// finds its domain by name and uuid, and needs the domain gone after a poweroff for
// `xl create -F` to end. The same list as reservedKeys in assets/nixos/guests/default.nix,
// whose assertion refuses them (a test keeps the two equal).
var ReservedXLKeys = []string{"name", "uuid", "on_poweroff"}

// xlKeyRE is an xl.cfg key as libxlutil's lexer reads one (tools/libs/util/libxlu_cfg_l.l;
// assets/nixos/guests/xl.nix, validKey): "Foo", "_a" and "a-b" are lexical errors.
var xlKeyRE = regexp.MustCompile(`^[a-z][._0-9a-z]*$`)

// CheckXLKey says why key cannot be a free xl.cfg key of a guest (nil when it can).
func CheckXLKey(key string) error {
	switch {
	case !xlKeyRE.MatchString(key):
		return fmt.Errorf("%s is not an xl.cfg key (a lower-case letter, then a-z, 0-9, _ and .)", strconv.Quote(key))
	case isReserved(key):
		return fmt.Errorf("%s cannot be set here: the guest's unit depends on it (%s come from XenNix)", key, strings.Join(ReservedXLKeys, ", "))
	}
	return nil
}

func isReserved(key string) bool {
	for _, r := range ReservedXLKeys {
		if r == key {
			return true
		}
	}
	return false
}

// XLKind is what an XLScalar holds.
type XLKind int

// The kinds of xl.cfg atoms the module's writer prints (assets/nixos/guests/xl.nix, atom):
// a quoted string, a number, or a boolean (written 1 or 0).
const (
	XLString XLKind = iota
	XLInt
	XLBool
)

// XLScalar is one xl.cfg atom: a string, a whole number (never negative: xl has no
// negative numbers) or a boolean.
type XLScalar struct {
	Kind XLKind
	Str  string
	Int  int64
	Bool bool
}

// XLValue is the value of one free xl.cfg key (xennix.guests.<name>.extraConfig.<key>,
// attrsOf anything in the module, of which its xl writer prints strings, integers,
// booleans and lists of them): one atom, or, when List is set, a list of atoms.
type XLValue struct {
	List  bool
	Items []XLScalar
}

// XLStringValue, XLIntValue, XLBoolValue and XLListValue make values (tests, callers).
func XLStringValue(s string) XLValue { return XLValue{Items: []XLScalar{{Kind: XLString, Str: s}}} }

// XLIntValue is the number n.
func XLIntValue(n int64) XLValue { return XLValue{Items: []XLScalar{{Kind: XLInt, Int: n}}} }

// XLBoolValue is the boolean b.
func XLBoolValue(b bool) XLValue { return XLValue{Items: []XLScalar{{Kind: XLBool, Bool: b}}} }

// XLListValue is a list of atoms.
func XLListValue(items ...XLScalar) XLValue {
	return XLValue{List: true, Items: append([]XLScalar{}, items...)}
}

// Check says why v cannot be written into an xl.cfg (nil when it can): a negative number,
// a string with a control character (a newline would end the xl token, NUL cannot be
// written at all), an empty list, or a single value that is not exactly one atom.
func (v XLValue) Check() error {
	if !v.List && len(v.Items) != 1 {
		return fmt.Errorf("want one value or a list")
	}
	if v.List && len(v.Items) == 0 {
		// The answers file leaves empty lists out (Answers.Marshal), so one would vanish
		// at the next save.
		return fmt.Errorf("an empty list: give at least one value, or remove the key")
	}
	for i, it := range v.Items {
		where := ""
		if v.List {
			where = fmt.Sprintf("[%d] ", i)
		}
		switch it.Kind {
		case XLInt:
			if it.Int < 0 {
				return fmt.Errorf("%s%d: xl.cfg has no negative numbers", where, it.Int)
			}
		case XLString:
			if strings.ContainsFunc(it.Str, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				return fmt.Errorf("%s%s holds a control character (a newline, NUL, ...), which an xl.cfg value cannot carry", where, strconv.Quote(it.Str))
			}
		case XLBool:
		default:
			return fmt.Errorf("%sunknown kind of value", where)
		}
	}
	return nil
}

func (s XLScalar) value() any {
	switch s.Kind {
	case XLInt:
		return s.Int
	case XLBool:
		return s.Bool
	}
	return s.Str
}

// MarshalJSON writes the value as JSON: a string, a number, a boolean or a list of them.
func (v XLValue) MarshalJSON() ([]byte, error) {
	if !v.List && len(v.Items) == 1 {
		return json.Marshal(v.Items[0].value())
	}
	l := make([]any, len(v.Items))
	for i, it := range v.Items {
		l[i] = it.value()
	}
	return json.Marshal(l)
}

// String is the value as xl.cfg writes it (for messages and the list).
func (v XLValue) String() string {
	atom := func(s XLScalar) string {
		switch s.Kind {
		case XLInt:
			return strconv.FormatInt(s.Int, 10)
		case XLBool:
			if s.Bool {
				return "1"
			}
			return "0"
		}
		return strconv.Quote(s.Str)
	}
	if !v.List && len(v.Items) == 1 {
		return atom(v.Items[0])
	}
	parts := make([]string, len(v.Items))
	for i, it := range v.Items {
		parts[i] = atom(it)
	}
	if len(parts) == 0 {
		return "[ ]"
	}
	return "[ " + strings.Join(parts, ", ") + " ]"
}
