package installer

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
)

// FieldError is one problem with the answers, naming the field by its path in the file
// (network.ipv4.gateway, users.admin.ssh_keys[1]) and, for a file, where it was written.
type FieldError struct {
	File  string
	Pos   Position
	Field string
	Err   error
}

// Error reads like answers.yaml:14:7: network.ipv4.gateway: 10.1.0.1 is outside the subnet 10.0.0.0/24 of network.ipv4.address.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ":")
	}
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Pos.Line, e.Pos.Column)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// ErrInvalid is wrapped by every problem that Parse and Validate report, so callers can tell
// bad answers from failures to read them.
var ErrInvalid = errors.New("invalid answers")

// problems collects FieldErrors and joins them sorted by position, then field.
type problems []*FieldError

func (p *problems) add(file string, pos Position, field string, format string, args ...any) {
	args = slices.Clone(args)
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = shown(s)
		}
	}
	*p = append(*p, &FieldError{File: file, Pos: pos, Field: field, Err: fmt.Errorf(format, args...)})
}

// Error messages quote what the file said, and a file may say a megabyte: a 1 MB host name
// must not become a 1 MB line. These bound how much of a value a message shows.
const (
	maxQuotedRunes = 64  // a value quoted with %q
	maxShownRunes  = 256 // any other string argument (lists of keys, a leaf's message)
)

// shown is a string argument of a problem's message. Formatted with %q it is quoted and
// cut to maxQuotedRunes runes, saying how long it was ("aaaa"…(1048576 bytes)); with any
// other verb it is cut to maxShownRunes. Every message of problems.add goes through it.
type shown string

// Format implements fmt.Formatter.
func (s shown) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		io.WriteString(f, quoteCut(string(s), maxQuotedRunes))
		return
	}
	v := string(s)
	if i := runeIndex(v, maxShownRunes); i >= 0 {
		v = fmt.Sprintf("%s…(%d bytes)", v[:i], len(v))
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), v)
}

// quoteCut quotes s as strconv.Quote does, cut to max runes.
func quoteCut(s string, max int) string {
	if i := runeIndex(s, max); i >= 0 {
		return fmt.Sprintf("%s…(%d bytes)", strconv.Quote(s[:i]), len(s))
	}
	return strconv.Quote(s)
}

// runeIndex returns the byte index of rune number n of s, or -1 if s has no more than n
// runes.
func runeIndex(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return -1
}

func (p problems) join() error {
	if len(p) == 0 {
		return nil
	}
	sort.SliceStable(p, func(i, j int) bool {
		a, b := p[i], p[j]
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column < b.Pos.Column
		}
		return a.Field < b.Field
	})
	errs := make([]error, len(p))
	for i, e := range p {
		errs[i] = e
	}
	return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
}

// Problems returns the individual problems inside an error from Parse or Validate.
func Problems(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// Load reads an answers file (ReadFile); see Parse.
func Load(path string, base Answers) (Answers, error) {
	data, err := ReadFile(path)
	if err != nil {
		return Answers{}, err
	}
	return Parse(path, data, base)
}

// MaxFileSize bounds an answers file read from disk: a real one is a few kilobytes; the
// same bound as answers fetched or read from answers media (iso.MaxAnswersSize).
const MaxFileSize = 1 << 20

// ErrFileTooLarge is returned (wrapped) for an answers file over MaxFileSize.
var ErrFileTooLarge = errors.New("answers file too large")

// ReadFile reads an answers file of at most MaxFileSize bytes, without reading more than
// that of a larger one (or of a device or FIFO given by mistake).
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read answers: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read answers %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read answers %s: %w: more than %d bytes", path, ErrFileTooLarge, MaxFileSize)
	}
	return data, nil
}

// Parse decodes an answers file strictly onto base (usually Defaults): unknown keys,
// duplicate keys, wrong types and words that are not in an enumeration are errors, all
// reported at once with their field paths and positions. Keys that the file does not set keep
// base's value. Plaintext passwords are hashed before Parse returns and cleared.
func Parse(name string, data []byte, base Answers) (Answers, error) {
	a := base
	a.file = name
	a.pos = map[string]Position{}
	var p problems
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(name, Position{}, "", "the file is empty; want at least \"version: 1\"")
			return a, p.join()
		}
		p.add(name, Position{}, "", "not valid YAML: %s", err.Error()) // a string, so shown cuts it
		return a, p.join()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(name, Position{extra.Line, extra.Column}, "", "a second YAML document: an answers file holds one")
	}
	d := &decoder{file: name, pos: a.pos, p: &p}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode {
		seen := false
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "version" {
				seen = true
			}
		}
		if !seen {
			p.add(name, Position{root.Line, root.Column}, "version", "missing; want version: 1")
		}
	}
	d.value(root, reflect.ValueOf(&a).Elem(), "")
	if a.Version != Version && a.pos["version"] != (Position{}) {
		p.add(name, a.pos["version"], "version", "%d is not supported; want 1", a.Version)
	}
	a.hashPasswords(&p)
	return a, p.join()
}

type decoder struct {
	file string
	pos  map[string]Position
	p    *problems
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.p.add(d.file, Position{n.Line, n.Column}, path, format, args...)
}

// plainKeyRE is a key shown as it is in a field path; other unknown keys are quoted.
var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return quoteCut(n.Value, maxQuotedRunes)
		}
		if i := runeIndex(n.Value, maxQuotedRunes); i >= 0 {
			return fmt.Sprintf("%s…(%d bytes)", n.Value[:i], len(n.Value))
		}
		return n.Value
	}
	return "something else"
}

// leadingZeroRE is an integer written with a leading zero: YAML 1.1 reads 024 as octal
// (20), YAML 1.2 as decimal (24), and go.yaml.in/yaml/v3 as octal. Octal is 0o24.
var leadingZeroRE = regexp.MustCompile(`^[-+]?0[0-9_]+$`)

// refuseSyntax reports the YAML features an answers file does not use, and reports whether
// n may be decoded. Aliases are refused because each expands to a copy of its anchor's
// value: a 104 KB file of nested aliases becomes hundreds of megabytes (a "billion laughs").
// Anchors are useful only to aliases. Tags are refused because a tag changes how a value
// is read (!!binary is base64, !!str turns 12 into text) while the decoder would read the
// plain text, and a custom tag means nothing here.
func (d *decoder) refuseSyntax(n *yaml.Node, path string) bool {
	ok := true
	if n.Kind == yaml.AliasNode {
		d.fail(n, path, "a YAML alias (*%s): aliases are not accepted in an answers file; write the value out", cutWord(n.Value))
		return false
	}
	if n.Anchor != "" {
		d.fail(n, path, "a YAML anchor (&%s): anchors and aliases are not accepted in an answers file; remove it", cutWord(n.Anchor))
		ok = false
	}
	if n.Style&yaml.TaggedStyle != 0 {
		d.fail(n, path, "the YAML tag %s is not accepted in an answers file: remove it and write the plain value (quote a string that looks like something else)", cutWord(n.Tag))
		ok = false
	}
	return ok
}

// cutWord cuts an anchor, alias or tag name for a message.
func cutWord(s string) string {
	if i := runeIndex(s, maxQuotedRunes); i >= 0 {
		return quoteCut(s, maxQuotedRunes)
	}
	return s
}

// value decodes n into v, whose field path is path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.DocumentNode {
		d.value(n.Content[0], v, path)
		return
	}
	if path != "" {
		d.pos[path] = Position{n.Line, n.Column}
	}
	if !d.refuseSyntax(n, path) {
		return
	}
	if isNull(n) {
		// An empty value keeps the default, like an absent key.
		return
	}
	if v.Type() == xlValueType {
		d.xlValue(n, v, path)
		return
	}
	if v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a single value, got %s", kindName(n))
			return
		}
		if n.Style == 0 && leadingZeroRE.MatchString(n.Value) {
			// storage.swap: 010 is 8 bytes to YAML 1.1 tools and 10 here: neither is meant.
			d.fail(n, path, "%s has a leading zero, which YAML 1.1 reads as octal: write it without the zero, with a unit (e.g. 10GiB)", n.Value)
			return
		}
		fresh := reflect.New(v.Type())
		if err := fresh.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			switch v.Type() {
			case reflect.TypeFor[netip.Prefix]():
				// netip's own words (`netip.ParsePrefix("1.2.3"): no '/'`) are Go's.
				d.fail(n, path, "%q is not an address with its prefix length (e.g. 192.0.2.10/24 or 2001:db8::10/64)", shown(n.Value))
				return
			case reflect.TypeFor[netip.Addr]():
				d.fail(n, path, "%q is not an IP address (e.g. 192.0.2.1 or 2001:db8::1)", shown(n.Value))
				return
			}
			// The types' messages quote the whole text (%q): show it cut.
			msg := strings.ReplaceAll(err.Error(), strconv.Quote(n.Value), quoteCut(n.Value, maxQuotedRunes))
			d.fail(n, path, "%s", msg)
			return
		}
		v.Set(fresh.Elem())
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		fresh := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			fresh.Elem().Set(v.Elem())
		}
		d.value(n, fresh.Elem(), path)
		v.Set(fresh)
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Map:
		d.freeMapping(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.fail(n, path, "want true or false, got %s", kindName(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int:
		if n.Kind == yaml.ScalarNode && n.Style == 0 && leadingZeroRE.MatchString(n.Value) {
			// Checked first: 09 is not octal, so the YAML library calls it a float.
			d.fail(n, path, "%s has a leading zero, which YAML 1.1 reads as octal and YAML 1.2 as decimal: write it without the zero (or 0o… for octal)", n.Value)
			return
		}
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.fail(n, path, "want a whole number, got %s", kindName(n))
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			d.fail(n, path, "want a whole number, got %s", kindName(n))
			return
		}
		v.SetInt(i)
	default:
		d.fail(n, path, "cannot be decoded (internal error: %s)", v.Kind())
	}
}

// mapKeyPath is the field path of the entry key of a mapping with free keys at path
// (guests[0].extra_config.viridian): the key as it is when it is a plain word, else quoted.
func mapKeyPath(path, key string) string {
	if !plainKeyRE.MatchString(key) {
		key = quoteCut(key, maxQuotedRunes)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// freeMapping decodes a mapping whose keys are data (a map[string]T), each value into T.
// Which keys are acceptable is Validate's to say, with the key's line.
func (d *decoder) freeMapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys to values, got %s", kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "cannot be decoded (internal error: %s keys)", v.Type().Key())
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := mapKeyPath(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a plain word, got %s", kindName(k))
			continue
		}
		if !d.refuseSyntax(k, kp) {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, kp, "duplicate key (first given at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		if isNull(val) {
			d.fail(val, kp, "no value: give one, or remove the key")
			continue
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		before := len(*d.p)
		d.value(val, ev, kp)
		// The key's line, not the value's: a list value starts on the next line.
		d.pos[kp] = Position{k.Line, k.Column}
		if len(*d.p) == before {
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
	}
	v.Set(m)
}

var xlValueType = reflect.TypeFor[guests.XLValue]()

// xlValue decodes a free xl.cfg value: a string, a whole number, true/false, or a list of
// those. Quoted text stays a string ("8" is the string 8); Check refuses what xl cannot hold.
func (d *decoder) xlValue(n *yaml.Node, v reflect.Value, path string) {
	atom := func(n *yaml.Node, path string) (guests.XLScalar, bool) {
		if !d.refuseSyntax(n, path) {
			return guests.XLScalar{}, false
		}
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a string, a whole number or true/false, got %s", kindName(n))
			return guests.XLScalar{}, false
		}
		switch n.ShortTag() {
		case "!!str":
			return guests.XLScalar{Kind: guests.XLString, Str: n.Value}, true
		case "!!bool":
			return guests.XLScalar{Kind: guests.XLBool, Bool: n.Value == "true" || n.Value == "True" || n.Value == "TRUE"}, true
		case "!!int":
			if n.Style == 0 && leadingZeroRE.MatchString(n.Value) {
				d.fail(n, path, "%s has a leading zero, which YAML 1.1 reads as octal and YAML 1.2 as decimal: write it without the zero (or quote it for a string)", n.Value)
				return guests.XLScalar{}, false
			}
			i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			if err != nil {
				d.fail(n, path, "%s is not a whole number xl can read", kindName(n))
				return guests.XLScalar{}, false
			}
			return guests.XLScalar{Kind: guests.XLInt, Int: i}, true
		}
		d.fail(n, path, "want a string, a whole number or true/false, got %s (quote it for a string)", kindName(n))
		return guests.XLScalar{}, false
	}
	var out guests.XLValue
	if n.Kind == yaml.SequenceNode {
		out.List = true
		out.Items = []guests.XLScalar{}
		ok := true
		for i, item := range n.Content {
			s, good := atom(item, fmt.Sprintf("%s[%d]", path, i))
			ok = ok && good
			out.Items = append(out.Items, s)
		}
		if !ok {
			return
		}
	} else {
		s, ok := atom(n, path)
		if !ok {
			return
		}
		out.Items = []guests.XLScalar{s}
	}
	v.Set(reflect.ValueOf(out))
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys to values, got %s", kindName(n))
		return
	}
	fields := map[string]int{}
	var names []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		fields[name] = i
		names = append(names, name)
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		if _, known := fields[key]; !known && !plainKeyRE.MatchString(key) {
			key = quoteCut(key, maxQuotedRunes) // the field path of an unknown key is shown
		}
		kp := key
		if path != "" {
			kp = path + "." + key
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "a key must be a plain word, got %s", kindName(k))
			continue
		}
		if !d.refuseSyntax(k, kp) {
			continue
		}
		if first, dup := seen[key]; dup {
			d.fail(k, kp, "duplicate key (first given at line %d)", first.Line)
			continue
		}
		seen[key] = k
		idx, ok := fields[key]
		if !ok {
			d.fail(k, kp, "unknown key; known keys here: %s", strings.Join(names, ", "))
			continue
		}
		d.value(val, v.Field(idx), kp)
		if val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode {
			// A section is best pointed at by its key, not its first entry.
			d.pos[kp] = Position{k.Line, k.Column}
		}
	}
}

// ParseAndValidate parses an answers file onto base and validates the result against r (when not nil),
// returning every problem of both kinds at once: a wrong key does not hide a bad address
// further down. A field that failed to decode keeps base's value for validation, and only
// its decoding problem is reported.
func ParseAndValidate(name string, data []byte, base Answers, r *hwdetect.Report) (Answers, error) {
	return parseThen(name, data, base, func(a Answers) error { return a.Validate(r) })
}

// ParseAndResolve is ParseAndValidate that also resolves the answers on the machine (see
// Resolve), validating them once. The Resolved is meaningful only without an error.
func ParseAndResolve(name string, data []byte, base Answers, r *hwdetect.Report) (Answers, Resolved, error) {
	var h Resolved
	a, err := parseThen(name, data, base, func(a Answers) error {
		var err error
		h, err = Resolve(a, r)
		return err
	})
	return a, h, err
}

// parseThen parses the answers and checks them with check, reporting the problems of both
// together; a check's problem at a field that did not parse is left out (it says the same).
func parseThen(name string, data []byte, base Answers, check func(Answers) error) (Answers, error) {
	a, perr := Parse(name, data, base)
	parsed := Problems(perr)
	if len(parsed) > 0 && len(a.pos) == 0 {
		return a, perr // not even YAML: nothing to validate
	}
	verr := check(a)
	if perr == nil {
		return a, verr
	}
	if verr == nil {
		return a, perr
	}
	bad := map[string]bool{}
	for _, p := range parsed {
		bad[p.Field] = true
	}
	all := problems(parsed)
	for _, p := range Problems(verr) {
		if !bad[p.Field] {
			all = append(all, p)
		}
	}
	return a, all.join()
}
