package installer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
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

// yaml11RE matches the plain scalars that a YAML 1.1 reader resolves to something other
// than a string: the implicit types of the YAML 1.1 type repository
// (https://yaml.org/type/: bool, null, int, float, timestamp, merge, value), with the
// float widened to what PyYAML reads (".5_0"). PyYAML,
// libyaml-based tools, older Go yaml.v2 and many configuration tools read YAML 1.1, where
// 0000:41:00.0 is a sexagesimal number, 010 is octal 8, and on is true.
var yaml11RE = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`,
	`~|null|Null|NULL|`,
	`[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`,
	`[-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)`,
	`[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]`,
	`[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?`,
	`<<|=`,
}, "|") + `)$`)

// yaml12LooksOther matches what YAML 1.2 (and go.yaml.in/yaml/v3) reads as a number in
// forms YAML 1.1 does not have, such as 0o17, 1e3 and 1E+3.
var yaml12LooksOther = regexp.MustCompile(`^(?:[-+]?0o[0-7]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$`)

// blockStyle turns the JSON-shaped tree into block YAML, leaving quotes only on strings
// that need them.
func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle {
		// JSON quoted every string; YAML needs quotes only where a plain scalar would
		// change meaning ("1", "a: b"), and the encoder adds those itself for YAML 1.2.
		// Strings a YAML 1.1 reader would take for a number, boolean, null or date keep
		// theirs, for the sake of the tools that read answers.yaml after the installer.
		if !yaml11RE.MatchString(n.Value) && !yaml12LooksOther.MatchString(n.Value) {
			n.Style = 0
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}
