package installer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSchemaUpToDate(t *testing.T) {
	got, err := generateSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("answers.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, Schema()) {
		t.Errorf("answers.schema.json is out of date with the Answers types: run go test ./installer -run Schema -update")
	}
}

// TestSchemaDescribed checks that the schema is closed (additionalProperties false) and that
// every property has a description, so editors can show help for every key.
func TestSchemaDescribed(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", s["$schema"])
	}
	defs, _ := s["$defs"].(map[string]any)
	count := 0
	for name, d := range defs {
		def := d.(map[string]any)
		props, ok := def["properties"].(map[string]any)
		if !ok {
			continue
		}
		if def["additionalProperties"] != false {
			t.Errorf("$defs.%s.additionalProperties = %v, want false", name, def["additionalProperties"])
		}
		for p, v := range props {
			count++
			if desc, _ := v.(map[string]any)["description"].(string); desc == "" {
				t.Errorf("$defs.%s.properties.%s has no description", name, p)
			}
		}
	}
	if count < 60 {
		t.Errorf("schema has %d properties, want the whole answers model (at least 60)", count)
	}
}
