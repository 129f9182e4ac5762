package nixexpr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// lineWidth is the width up to which a list of scalars stays on one line, as in nixfmt.
const lineWidth = 100

// Print renders e as Nix source ending in a newline. It fails, naming the bad value, when e
// holds something that cannot be valid Nix (a NUL byte or invalid UTF-8 in a string, a path
// that is not a path literal, a reference that is not an identifier).
func Print(e Expr) ([]byte, error) {
	return File(nil, e)
}

// File renders e as a whole .nix file whose first lines are the given comment lines.
func File(header []string, e Expr) ([]byte, error) {
	p := &printer{}
	for _, h := range header {
		p.comment(h, 0)
	}
	p.expr(e, 0)
	if p.err != nil {
		return nil, p.err
	}
	p.b.WriteByte('\n')
	return []byte(p.b.String()), nil
}

// MustPrint is Print for values built entirely from constants in this program's source; it
// panics on error, so it must never see user input.
func MustPrint(e Expr) string {
	b, err := Print(e)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type printer struct {
	b   strings.Builder
	err error
}

func (p *printer) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *printer) indent(n int) {
	for i := 0; i < n; i++ {
		p.b.WriteString("  ")
	}
}

func (p *printer) comment(line string, ind int) {
	for _, l := range strings.Split(line, "\n") {
		if !utf8.ValidString(l) || strings.ContainsRune(l, 0) {
			p.fail(fmt.Errorf("%w: comment %q is not valid UTF-8 text", ErrInvalid, l))
			return
		}
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			p.b.WriteString("#\n")
		} else {
			p.b.WriteString("# " + l + "\n")
		}
		p.indent(ind)
	}
}

func (p *printer) expr(e Expr, ind int) {
	switch v := e.(type) {
	case nil:
		p.fail(fmt.Errorf("%w: nil expression", ErrInvalid))
	case String:
		p.b.WriteString(quote(string(v), p))
	case Indented:
		p.indented(string(v), ind)
	case Int:
		p.b.WriteString(strconv.FormatInt(int64(v), 10))
	case Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			p.fail(fmt.Errorf("%w: float %v", ErrInvalid, f))
			return
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		p.b.WriteString(s)
	case Bool:
		if v {
			p.b.WriteString("true")
		} else {
			p.b.WriteString("false")
		}
	case Null:
		p.b.WriteString("null")
	case Path:
		if err := checkPath(v); err != nil {
			p.fail(err)
			return
		}
		p.b.WriteString(string(v))
	case Ref:
		if err := checkRef(v); err != nil {
			p.fail(err)
			return
		}
		p.b.WriteString(string(v))
	case List:
		p.list(v, ind)
	case *Attrs:
		p.attrs(v, ind)
	case Call:
		if err := checkRef(v.Fn); err != nil {
			p.fail(err)
			return
		}
		p.b.WriteString(string(v.Fn))
		for _, a := range v.Args {
			p.b.WriteByte(' ')
			p.operand(a, ind)
		}
	case Select:
		p.operand(v.From, ind)
		for _, k := range v.Path {
			p.b.WriteByte('.')
			p.key(k)
		}
	case Func:
		p.funcHeader(v)
		p.b.WriteByte('\n')
		p.indent(ind)
		p.expr(v.Body, ind)
	case Let:
		p.b.WriteString("let\n")
		if v.Bindings != nil {
			p.bindings(v.Bindings, ind+1)
		}
		p.indent(ind)
		p.b.WriteString("in\n")
		p.indent(ind)
		p.expr(v.Body, ind)
	case Comment:
		for _, l := range v.Lines {
			p.comment(l, ind)
		}
		p.expr(v.Expr, ind)
	default:
		p.fail(fmt.Errorf("%w: unsupported expression %T", ErrInvalid, e))
	}
}

// operand prints e where it is an argument of a call or an element of a list, wrapping it in
// parentheses when it would otherwise parse differently there.
func (p *printer) operand(e Expr, ind int) {
	if needsParens(e) {
		p.b.WriteByte('(')
		p.expr(e, ind)
		p.b.WriteByte(')')
		return
	}
	p.expr(e, ind)
}

func needsParens(e Expr) bool {
	switch v := e.(type) {
	case Call:
		return len(v.Args) > 0
	case Func, Let, Comment:
		return true
	case Int:
		return v < 0
	case Float:
		return v < 0 || math.Signbit(float64(v))
	case Select:
		_, isRef := v.From.(Ref)
		return !isRef
	}
	return false
}

func (p *printer) funcHeader(f Func) {
	if f.Name != "" {
		if !IsIdent(f.Name) {
			p.fail(fmt.Errorf("%w: function argument name %q", ErrInvalid, f.Name))
			return
		}
		p.b.WriteString(f.Name + "@")
	}
	parts := make([]string, 0, len(f.Args)+1)
	for _, a := range f.Args {
		if !IsIdent(a) {
			p.fail(fmt.Errorf("%w: function argument %q", ErrInvalid, a))
			return
		}
		parts = append(parts, a)
	}
	if f.Ellipsis {
		parts = append(parts, "...")
	}
	if len(parts) == 0 {
		p.b.WriteString("{ }:")
		return
	}
	p.b.WriteString("{ " + strings.Join(parts, ", ") + " }:")
}

func (p *printer) key(k string) {
	if IsIdent(k) {
		p.b.WriteString(k)
		return
	}
	p.b.WriteString(quote(k, p))
}

func (p *printer) attrs(a *Attrs, ind int) {
	if a == nil || a.Len() == 0 {
		if a != nil && a.Rec {
			p.b.WriteString("rec { }")
			return
		}
		p.b.WriteString("{ }")
		return
	}
	if a.Rec {
		p.b.WriteString("rec ")
	}
	p.b.WriteString("{\n")
	p.bindings(a, ind+1)
	p.indent(ind)
	p.b.WriteByte('}')
}

// bindings prints "name = value;" lines at indentation ind. A value that is a plain attribute
// set with exactly one attribute is folded into the name (a.b.c = v;), as people write NixOS
// options.
func (p *printer) bindings(a *Attrs, ind int) {
	for _, k := range a.keys {
		v := a.vals[k]
		var lines []string
		if c, ok := v.(Comment); ok {
			lines, v = c.Lines, c.Expr
		}
		p.indent(ind)
		for _, l := range lines {
			p.comment(l, ind)
		}
		p.key(k)
		for {
			sub, ok := v.(*Attrs)
			if !ok || sub == nil || sub.Rec || sub.Len() != 1 {
				break
			}
			k2 := sub.keys[0]
			if _, isComment := sub.vals[k2].(Comment); isComment {
				break
			}
			p.b.WriteByte('.')
			p.key(k2)
			v = sub.vals[k2]
		}
		p.b.WriteString(" = ")
		p.expr(v, ind)
		p.b.WriteString(";\n")
	}
}

func (p *printer) list(l List, ind int) {
	if len(l) == 0 {
		p.b.WriteString("[ ]")
		return
	}
	if oneLine(l) {
		sub := &printer{}
		sub.b.WriteString("[")
		for _, e := range l {
			sub.b.WriteByte(' ')
			sub.operand(e, 0)
		}
		sub.b.WriteString(" ]")
		if sub.err != nil {
			p.fail(sub.err)
			return
		}
		if s := sub.b.String(); len(s)+2*ind <= lineWidth {
			p.b.WriteString(s)
			return
		}
	}
	p.b.WriteString("[\n")
	for _, e := range l {
		p.indent(ind + 1)
		p.operand(e, ind+1)
		p.b.WriteByte('\n')
	}
	p.indent(ind)
	p.b.WriteByte(']')
}

func oneLine(l List) bool {
	for _, e := range l {
		switch v := e.(type) {
		case String:
			if strings.ContainsAny(string(v), "\n") {
				return false
			}
		case Int, Float, Bool, Null, Path, Ref:
		default:
			return false
		}
	}
	return true
}

// quote returns s as a double-quoted Nix string. Besides \ and ", the sequence ${ must be
// escaped or it would start an interpolation (Nix manual, "String literals").
func quote(s string, p *printer) string {
	if err := checkText(s); err != nil {
		p.fail(err)
		return `""`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString(`\$`)
			} else {
				b.WriteByte('$')
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func checkText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: string %q contains a NUL byte, which Nix strings cannot hold", ErrInvalid, s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: string %q is not valid UTF-8", ErrInvalid, s)
	}
	return nil
}

// indented prints s as an indented string. Nix strips the first line when it is empty, the
// common leading spaces of all non-blank lines, and a last line made only of spaces
// (nix/src/libexpr/parser.y, stripIndentation). The printer puts every line at the
// indentation of the expression plus one level and escapes what would otherwise be eaten,
// so that evaluating the output gives back exactly s.
func (p *printer) indented(s string, ind int) {
	if err := checkText(s); err != nil {
		p.fail(err)
		return
	}
	lines := strings.Split(s, "\n")
	// If every non-empty line starts with a space, Nix would strip those spaces too: escape
	// the first space of the first such line so that the common indentation is ours only.
	allSpaced, anyNonEmpty := true, false
	for _, l := range lines {
		if l == "" {
			continue
		}
		anyNonEmpty = true
		if l[0] != ' ' {
			allSpaced = false
		}
	}
	escapedLead := !(anyNonEmpty && allSpaced)
	p.b.WriteString("''\n")
	for i, l := range lines {
		last := i == len(lines)-1
		if l == "" {
			if !last {
				p.b.WriteByte('\n')
			}
			continue
		}
		p.indent(ind + 1)
		lead := ""
		if !escapedLead && l != "" && l[0] == ' ' {
			lead, l = `''\ `, l[1:]
			escapedLead = true
		} else if last && l != "" && strings.Trim(l, " ") == "" {
			// A last line of spaces only is dropped by Nix: keep it by escaping one space.
			lead, l = `''\ `, l[1:]
		}
		p.b.WriteString(lead)
		p.b.WriteString(escapeIndented(l, last))
		if !last {
			p.b.WriteByte('\n')
		}
	}
	if lines[len(lines)-1] == "" {
		// s ends in a newline (or is empty): close on a line of its own.
		p.indent(ind)
	}
	p.b.WriteString("''")
}

func escapeIndented(l string, last bool) string {
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '\'' && i+1 < len(l) && l[i+1] == '\'':
			b.WriteString(`'''`)
			i++
		case c == '\'' && (i+1 == len(l) && last || i+1 < len(l) && (l[i+1] == '\r' || l[i+1] == '\t' || strings.HasPrefix(l[i+1:], "${"))):
			// A lone quote right before something printed as ''… (an escape, or the closing
			// quotes) would merge with it: escape the quote itself.
			b.WriteString(`''\'`)
		case c == '$' && i+1 < len(l) && l[i+1] == '{':
			b.WriteString(`''$`)
		case c == '\r':
			b.WriteString(`''\r`)
		case c == '\t':
			b.WriteString(`''\t`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
