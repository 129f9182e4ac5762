package assets

import "embed"

// Examples holds the example answers files, examples/*.yaml.
//
//go:embed examples/*.yaml
var Examples embed.FS
