package installer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Marshal writes the answers as an answers file: only what differs from empty, secrets only
// as hashes (a plaintext password never survives Parse), with a header naming the schema.
// Parse(Marshal(a)) gives back a.
func (a Answers) Marshal(header ...string) ([]byte, error) {
	a.Users.Root.Password, a.Users.Admin.Password = "", ""
	// encoding/json honours the netip and Size text forms and omitempty on scalars; what it
	// cannot omit (empty sections, zero addresses) is pruned from the node tree below.
	j, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("marshal answers: %w", err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, fmt.Errorf("marshal answers: %w", err)
	}
	prune(&n)
	blockStyle(&n)
	var b bytes.Buffer
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("marshal answers: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// prune drops empty strings and empty mappings from n and reports whether n itself is empty.
func prune(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			prune(c)
		}
		return false
	case yaml.MappingNode:
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !prune(n.Content[i+1]) {
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
		return len(kept) == 0
	case yaml.SequenceNode:
		// Items are pruned inside but kept, even when empty: an empty entry still counts
		// (guests[].network: [{}] is one interface with the defaults).
		for _, c := range n.Content {
			prune(c)
		}
		return len(n.Content) == 0
	case yaml.ScalarNode:
		return n.ShortTag() == "!!null" || (n.ShortTag() == "!!str" && n.Value == "")
	}
	return false
}

var yaml11Special = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle && !yaml11Special[strings.ToLower(n.Value)] {
		// JSON quoted every string; YAML needs quotes only where a plain scalar would
		// change meaning ("1", "a: b"), and the encoder adds those itself. Words that YAML
		// 1.1 tools read as booleans stay quoted for their sake.
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
