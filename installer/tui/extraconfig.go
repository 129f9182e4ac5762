package tui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/installer"
)

// extraConfigText is a guest's free xl.cfg keys as the form shows them: key=value, sorted by
// key, each value written as the answers file would (a JSON atom or list is also YAML).
func extraConfigText(m map[string]guests.XLValue) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, err := json.Marshal(m[k])
		if err != nil {
			v = []byte(m[k].String())
		}
		parts = append(parts, k+"="+string(v))
	}
	return strings.Join(parts, ", ")
}

// parseExtraConfig reads the form's free xl.cfg keys: key=value entries separated by
// commas (outside [ ] and quotes) or lines. Each value is read as `xennix guest set` reads
// extra_config.KEY=VALUE (installer.SetGuest: YAML, 4, true, [a, b], "text"), and each key
// and value is checked by the answers' own rules (guests.CheckXLKey: the key's form and the
// reserved keys; XLValue.Check: the values xl.cfg can hold). Every problem is returned,
// each naming its key.
func parseExtraConfig(s string) (map[string]guests.XLValue, error) {
	var errs []error
	out := map[string]guests.XLValue{}
	for _, e := range splitEntries(s) {
		key, val, ok := strings.Cut(e, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case !ok || key == "":
			errs = append(errs, fmt.Errorf("%s is not key=value (e.g. viridian=[\"defaults\"])", clip(e)))
			continue
		}
		if err := guests.CheckXLKey(key); err != nil {
			if len(key) > 40 {
				err = fmt.Errorf("%s is not an xl.cfg key", clip(key))
			}
			errs = append(errs, err) // it names the key
			continue
		}
		if val == "" {
			errs = append(errs, fmt.Errorf("%s: give a value (leave the key out to not set it)", key))
			continue
		}
		if _, dup := out[key]; dup {
			errs = append(errs, fmt.Errorf("%s: given twice", key))
			continue
		}
		g, err := installer.SetGuest(installer.Guest{}, []string{"extra_config." + key + "=" + val})
		if err != nil {
			for _, p := range installer.Problems(err) {
				errs = append(errs, fmt.Errorf("%s: %w", key, p.Err))
			}
			if len(installer.Problems(err)) == 0 {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
			}
			continue
		}
		v := g.ExtraConfig[key]
		if err := v.Check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		out[key] = v
	}
	if len(errs) > 0 {
		return nil, entryErrors(errs)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// splitEntries splits at commas and newlines outside brackets and double quotes.
func splitEntries(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	add := func(e string) {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[':
			depth++
		case c == ']':
			depth = max(depth-1, 0)
		case (c == ',' && depth == 0) || c == '\n':
			add(s[start:i])
			start = i + 1
		}
	}
	add(s[start:])
	return out
}

// clip shortens what the operator typed for a message, so that a pasted line does not
// push the message off the screen.
func clip(s string) string {
	const most = 40
	if r := []rune(s); len(r) > most {
		return fmt.Sprintf("%q... (%d characters)", string(r[:most]), len(r))
	}
	return fmt.Sprintf("%q", s)
}

// entryErrors are the problems of the entries, on one line (a field shows its error on
// the line under it).
type entryErrors []error

func (e entryErrors) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e entryErrors) Unwrap() []error { return e }
