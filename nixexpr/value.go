package nixexpr

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Expr is a Nix expression that this package can print. The set of implementations is
// closed: String, Indented, Int, Float, Bool, Null, Path, Ref, List, *Attrs, Call, Func,
// Select and Comment-carrying wrappers.
type Expr interface {
	isExpr()
}

// String is a double-quoted Nix string. Any Go string without NUL bytes and with valid
// UTF-8 can be printed; the printer escapes it.
type String string

// Indented is a Nix indented string (”…”), printed across lines; convenient for scripts.
type Indented string

// Int is a Nix integer.
type Int int64

// Float is a Nix float.
type Float float64

// Bool is a Nix boolean.
type Bool bool

// Null is the Nix null value.
type Null struct{}

// Path is a Nix path literal such as ./hardware-configuration.nix or /etc/nixos. Only
// relative paths starting with ./ or ../ and absolute paths made of safe characters can be
// printed: a path literal cannot be escaped, so anything else is an error.
type Path string

// Ref is a reference to a variable or an attribute of one, such as pkgs.xen, config or
// inputs.nixpkgs. It must be a dotted list of Nix identifiers; it is how generated files name
// things that are code, never data taken from a user.
type Ref string

// List is a Nix list.
type List []Expr

// Call applies a function, named by a dotted identifier, to arguments: lib.mkDefault 4096,
// import ./disko.nix, nixpkgs.lib.nixosSystem { … }.
type Call struct {
	Fn   Ref
	Args []Expr
}

// Select is an attribute selection from an expression that is not a plain Ref, such as
// (import ./x.nix).foo.
type Select struct {
	From Expr
	Path []string
}

// Func is a function with an attribute-set pattern: { config, lib, pkgs, ... }: body. Name,
// when set, binds the whole argument set (args@{ … }).
type Func struct {
	Args     []string
	Ellipsis bool
	Name     string
	Body     Expr
}

// Let is a let … in expression.
type Let struct {
	Bindings *Attrs
	Body     Expr
}

// Comment wraps an expression with comment lines printed before it. In an attribute set, the
// comment goes above the attribute.
type Comment struct {
	Lines []string
	Expr  Expr
}

func (String) isExpr()   {}
func (Indented) isExpr() {}
func (Int) isExpr()      {}
func (Float) isExpr()    {}
func (Bool) isExpr()     {}
func (Null) isExpr()     {}
func (Path) isExpr()     {}
func (Ref) isExpr()      {}
func (List) isExpr()     {}
func (*Attrs) isExpr()   {}
func (Call) isExpr()     {}
func (Select) isExpr()   {}
func (Func) isExpr()     {}
func (Let) isExpr()      {}
func (Comment) isExpr()  {}

// MkDefault is lib.mkDefault v.
func MkDefault(v Expr) Expr { return Call{Fn: "lib.mkDefault", Args: []Expr{v}} }

// Strings is a List of Strings, the commonest list in NixOS settings.
func Strings(ss ...string) List {
	l := make(List, len(ss))
	for i, s := range ss {
		l[i] = String(s)
	}
	return l
}

// Module is the usual NixOS module header: { config, lib, pkgs, ... }: body.
func Module(body Expr) Func {
	return Func{Args: []string{"config", "lib", "pkgs"}, Ellipsis: true, Body: body}
}

// Attrs is a Nix attribute set that keeps its keys in insertion order, so that printed files
// read in the order they were built and are byte-for-byte stable.
type Attrs struct {
	keys []string
	vals map[string]Expr
	// Rec marks a recursive attribute set (rec { … }).
	Rec bool
}

// NewAttrs returns an empty attribute set.
func NewAttrs() *Attrs { return &Attrs{vals: map[string]Expr{}} }

// Len returns the number of attributes.
func (a *Attrs) Len() int { return len(a.keys) }

// Keys returns the attribute names in order.
func (a *Attrs) Keys() []string { return append([]string(nil), a.keys...) }

// Get returns the value of one attribute.
func (a *Attrs) Get(key string) (Expr, bool) {
	v, ok := a.vals[key]
	return v, ok
}

// Set sets one attribute (a single name, never split on dots) and returns a for chaining.
// Setting an existing key replaces its value in place.
func (a *Attrs) Set(key string, v Expr) *Attrs {
	if a.vals == nil {
		a.vals = map[string]Expr{}
	}
	if _, ok := a.vals[key]; !ok {
		a.keys = append(a.keys, key)
	}
	a.vals[key] = v
	return a
}

// SetPath sets a nested attribute, creating the attribute sets on the way: SetPath(v,
// "virtualisation", "xen", "enable"). An intermediate value that is not an attribute set is
// replaced.
func (a *Attrs) SetPath(v Expr, path ...string) *Attrs {
	if len(path) == 0 {
		return a
	}
	cur := a
	for _, k := range path[:len(path)-1] {
		next, ok := cur.vals[k].(*Attrs)
		if !ok {
			next = NewAttrs()
			cur.Set(k, next)
		}
		cur = next
	}
	cur.Set(path[len(path)-1], v)
	return a
}

// SetDotted is shorthand for SetPath with a dotted path written as one Go string. It is for
// option paths written in this program's source, never for names taken from input: a key
// with a dot in it must go through Attrs.Set.
func (a *Attrs) SetDotted(dotted string, v Expr) *Attrs {
	return a.SetPath(v, strings.Split(dotted, ".")...)
}

// ErrInvalid is returned (wrapped) for values that cannot be printed as valid Nix.
var ErrInvalid = errors.New("invalid nix value")

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)
	pathRE  = regexp.MustCompile(`^(\.{1,2}|)(/[A-Za-z0-9._+-]+)+$`)
)

// keywords cannot be used as bare attribute names or references.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "assert": true, "with": true, "let": true,
	"in": true, "rec": true, "inherit": true, "or": true,
}

// IsIdent reports whether s can be written as a bare Nix identifier (attribute name).
func IsIdent(s string) bool { return identRE.MatchString(s) && !keywords[s] }

func checkRef(r Ref) error {
	if r == "" {
		return fmt.Errorf("%w: empty reference", ErrInvalid)
	}
	for _, part := range strings.Split(string(r), ".") {
		if !IsIdent(part) && !(part == "import" || part == "builtins") {
			return fmt.Errorf("%w: reference %q is not a dotted identifier", ErrInvalid, string(r))
		}
	}
	return nil
}

func checkPath(p Path) error {
	s := string(p)
	if s == "./." || s == "/" {
		return nil
	}
	if !pathRE.MatchString(s) || strings.Contains(s, "//") {
		return fmt.Errorf("%w: path %q cannot be written as a Nix path literal", ErrInvalid, s)
	}
	return nil
}
