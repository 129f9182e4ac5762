package installer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xennix/xennix/guests"
)

// ParseGuest decodes one guest, a mapping as an entry of the guests section is written
// (`xennix guest add --from FILE.yaml`), strictly: every problem is reported with its field
// and its line in the file.
func ParseGuest(name string, data []byte) (Guest, error) {
	var g Guest
	var p problems
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(name, Position{}, "", "the file is empty; want a guest, e.g. \"name: web\"")
		} else {
			p.add(name, Position{}, "", "not valid YAML: %v", err)
		}
		return g, p.join()
	}
	d := &decoder{file: name, pos: map[string]Position{}, p: &p}
	d.value(&doc, reflect.ValueOf(&g).Elem(), "")
	return g, p.join()
}

// assignRE reads KEY=VALUE, KEY a dotted path with list indexes: memory, network[0].mac.
var assignRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\[[0-9]+\])?(\.[a-z_][a-z0-9_]*(\[[0-9]+\])?)*$`)

// extraKeyRE is KEY for one free xl.cfg key, extra_config.KEY: Validate says whether KEY
// is one xl reads.
var extraKeyRE = regexp.MustCompile(`^extra_config\.[^=\s]+$`)

// SetGuest applies KEY=VALUE assignments to a guest (`xennix guest set web memory=4GiB
// network[0].ipv4.address=192.0.2.21/24`). Keys are the fields of a guests entry as the
// answers file writes them, dotted, with [i] for list entries (a new last entry is made
// when i is the list's length), and extra_config.KEY for a free xl.cfg key
// (extra_config.viridian=[defaults]); VALUE is read as YAML (4, true, [a, b], "text"), and
// an empty VALUE removes the key. The result is decoded strictly, so a wrong key or value
// is a problem naming its field.
func SetGuest(g Guest, assignments []string) (Guest, error) {
	j, err := json.Marshal(g)
	if err != nil {
		return g, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return g, err
	}
	prune(&doc)
	root := doc.Content[0]
	var p problems
	for _, as := range assignments {
		key, val, ok := strings.Cut(as, "=")
		if !ok || (!assignRE.MatchString(key) && !extraKeyRE.MatchString(key)) {
			p.add("", Position{}, key, "%q is not KEY=VALUE (e.g. memory=4GiB, network[0].mac=00:16:3e:12:34:56)", as)
			continue
		}
		if key == "name" {
			p.add("", Position{}, key, "a guest cannot be renamed (remove it and add it under the new name)")
			continue
		}
		var v *yaml.Node
		if val != "" {
			var vd yaml.Node
			if err := yaml.Unmarshal([]byte(val), &vd); err != nil || len(vd.Content) == 0 {
				p.add("", Position{}, key, "%q is not a value: %v", val, err)
				continue
			}
			v = vd.Content[0]
		}
		path := strings.Split(key, ".")
		if k, ok := strings.CutPrefix(key, "extra_config."); ok {
			// An xl.cfg key may hold dots (xl.cfg(5)): the rest is one key.
			path = []string{"extra_config", k}
		}
		if err := setPath(root, path, v); err != nil {
			p.add("", Position{}, key, "%v", err)
		}
	}
	if err := p.join(); err != nil {
		return g, err
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		return g, err
	}
	out, err := ParseGuest("", b)
	if err != nil {
		// Positions in the re-encoded guest mean nothing to the operator: name fields only.
		var q problems
		for _, f := range Problems(err) {
			q = append(q, &FieldError{Field: f.Field, Err: f.Err})
		}
		return g, q.join()
	}
	return out, nil
}

var indexRE = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\[([0-9]+)\]$`)

// setPath sets (v != nil) or removes (v == nil) the value at path in the mapping n.
func setPath(n *yaml.Node, path []string, v *yaml.Node) error {
	part := path[0]
	idx := -1
	if m := indexRE.FindStringSubmatch(part); m != nil {
		part = m[1]
		idx, _ = strconv.Atoi(m[2])
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not inside a mapping", part)
	}
	var child *yaml.Node
	at := -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			child, at = n.Content[i+1], i
		}
	}
	last := len(path) == 1
	if last && idx < 0 {
		switch {
		case v == nil && at >= 0:
			n.Content = append(n.Content[:at], n.Content[at+2:]...)
		case v != nil && at >= 0:
			n.Content[at+1] = v
		case v != nil:
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: part}, v)
		}
		return nil
	}
	if child == nil {
		if v == nil {
			return nil
		}
		kind := yaml.MappingNode
		if idx >= 0 {
			kind = yaml.SequenceNode
		}
		child = &yaml.Node{Kind: kind}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: part}, child)
	}
	if idx >= 0 {
		if child.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s is not a list", part)
		}
		switch {
		case idx == len(child.Content) && v != nil:
			child.Content = append(child.Content, &yaml.Node{Kind: yaml.MappingNode})
		case idx >= len(child.Content):
			return fmt.Errorf("%s has %d entries: [%d] is past the end (use [%d] to add one)", part, len(child.Content), idx, len(child.Content))
		}
		if last {
			if v == nil {
				child.Content = append(child.Content[:idx], child.Content[idx+1:]...)
			} else {
				child.Content[idx] = v
			}
			return nil
		}
		child = child.Content[idx]
		if child.Kind != yaml.MappingNode {
			return fmt.Errorf("%s[%d] is not a mapping", part, idx)
		}
	}
	return setPath(child, path[1:], v)
}

// ErrGuestExists is returned when a guest of that name is already the tool's.
var ErrGuestExists = errors.New("a guest of that name exists already")

// AddGuest returns the host's answers with g added; a name the tool or the user already
// uses is refused.
func (h InstalledHost) AddGuest(g Guest) (Answers, error) {
	next := h.Answers
	if h.Declared(g.Name) {
		return next, fmt.Errorf("%s: %w", g.Name, guests.ErrDeclared)
	}
	if _, _, ok := next.GuestByName(g.Name); ok {
		return next, fmt.Errorf("%s: %w (change it with `xennix guest set`)", g.Name, ErrGuestExists)
	}
	next.Guests = append(append([]Guest(nil), next.Guests...), g)
	return next, nil
}

// EditGuest returns the host's answers with the tool's guest name changed by the
// assignments (see SetGuest); a guest the user declares is refused.
func (h InstalledHost) EditGuest(name string, assignments []string) (Answers, error) {
	next := h.Answers
	g, i, err := h.toolGuest(name)
	if err != nil {
		return next, err
	}
	g, err = SetGuest(g, assignments)
	if err != nil {
		return next, fmt.Errorf("%s: %w", name, err)
	}
	next.Guests = append([]Guest(nil), next.Guests...)
	next.Guests[i] = g
	return next, nil
}

// RemoveGuest returns the host's answers without the tool's guest name.
func (h InstalledHost) RemoveGuest(name string) (Answers, error) {
	next := h.Answers
	_, i, err := h.toolGuest(name)
	if err != nil {
		return next, err
	}
	next.Guests = append(append([]Guest(nil), next.Guests[:i]...), next.Guests[i+1:]...)
	return next, nil
}

func (h InstalledHost) toolGuest(name string) (Guest, int, error) {
	if h.Declared(name) {
		return Guest{}, -1, fmt.Errorf("%s: %w", name, guests.ErrDeclared)
	}
	g, i, ok := h.Answers.GuestByName(name)
	if !ok {
		return Guest{}, -1, fmt.Errorf("%s: %w among the tool's guests (xennix/answers.yaml)", name, guests.ErrNoGuest)
	}
	return g, i, nil
}
