package installer

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/xennix/xennix/guests"
)

// schemaJSON is the JSON Schema of Answers, generated from the Go types and their comments
// by TestSchemaUpToDate (go test ./installer -run Schema -update), which also fails when it
// has drifted from the types.
//
//go:embed answers.schema.json
var schemaJSON []byte

// SchemaID is the $id of the answers schema.
const SchemaID = "https://xennix.dev/schemas/answers-v1.json"

// Schema returns the JSON Schema (draft 2020-12) of the answers file, for editors
// (yaml-language-server) and for checking files with any JSON Schema validator.
func Schema() []byte { return schemaJSON }

// generateSchema reflects Answers into a JSON Schema. srcDir, when not empty, is this
// package's source directory: field comments there become property descriptions.
func generateSchema(srcDir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		Mapper:                     schemaMapper,
	}
	if srcDir != "" {
		if err := r.AddGoComments("github.com/xennix/xennix/installer", srcDir); err != nil {
			return nil, fmt.Errorf("read comments: %w", err)
		}
	}
	s := r.Reflect(&Answers{})
	s.ID = SchemaID
	s.Title = "XenNix answers file"
	s.Description = "Answers for an unattended XenNix install (xennix install --answers FILE); see assets/examples/."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schemaMapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[netip.Prefix]():
		return &jsonschema.Schema{Type: "string", Description: "an address with prefix length, e.g. 192.0.2.10/24 or 2001:db8::10/64",
			Pattern: `^[0-9A-Fa-f:.]+/[0-9]{1,3}$`}
	case reflect.TypeFor[netip.Addr]():
		return &jsonschema.Schema{Type: "string", Description: "an IPv4 or IPv6 address",
			Pattern: `^[0-9A-Fa-f:.]+$`}
	case reflect.TypeFor[guests.PCIAddress]():
		return &jsonschema.Schema{Type: "string", Description: "a PCI address, e.g. 0000:03:00.0",
			Pattern: `^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$`}
	case reflect.TypeFor[guests.MAC]():
		return &jsonschema.Schema{Type: "string", Description: "a unicast MAC address, e.g. 00:16:3e:12:34:56",
			Pattern: `^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$`}
	case reflect.TypeFor[guests.Kind]():
		return enumOf(guests.Kinds)
	case reflect.TypeFor[guests.Type]():
		return enumOf(guests.Types)
	case reflect.TypeFor[guests.Firmware]():
		return enumOf(guests.Firmwares)
	case reflect.TypeFor[guests.BootDevice]():
		return enumOf(guests.BootDevices)
	case reflect.TypeFor[guests.OnCrash]():
		return enumOf(guests.OnCrashes)
	case reflect.TypeFor[guests.DiskFormat]():
		return enumOf(guests.DiskFormats)
	case reflect.TypeFor[map[string]guests.XLValue]():
		atom := func() []*jsonschema.Schema {
			return []*jsonschema.Schema{{Type: "string"}, {Type: "integer", Minimum: json.Number("0")}, {Type: "boolean"}}
		}
		return &jsonschema.Schema{Type: "object",
			PropertyNames:        &jsonschema.Schema{Pattern: `^[a-z][._0-9a-z]*$`, Not: &jsonschema.Schema{Enum: anySlice(guests.ReservedXLKeys)}},
			AdditionalProperties: &jsonschema.Schema{OneOf: append(atom(), &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{OneOf: atom()}})}}
	}
	return nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func enumOf[T ~string](allowed []T) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string"}
	for _, a := range allowed {
		s.Enum = append(s.Enum, string(a))
	}
	return s
}
