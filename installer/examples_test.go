package installer

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/xennix/xennix/assets"
)

func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlAsJSON turns a YAML document into the value a JSON decoder would give, so the JSON
// Schema can judge it as an editor would.
func yamlAsJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExamples(t *testing.T) {
	schema := compiledSchema(t)
	names, err := fs.Glob(assets.Examples, "examples/*.yaml")
	if err != nil || len(names) < 5 {
		t.Fatalf("examples: %v, %v; want at least five", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := fs.ReadFile(assets.Examples, name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=") {
				t.Errorf("%s does not start with a yaml-language-server schema line", name)
			}
			a, err := Parse(name, data, Defaults(nil))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := a.Validate(nil); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if err := schema.Validate(yamlAsJSON(t, data)); err != nil {
				t.Errorf("schema rejects %s: %v", name, err)
			}
		})
	}
}
