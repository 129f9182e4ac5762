package tui

import (
	"fmt"
	"strings"

	"github.com/xennix/xennix/installer"
)

// sizeUnits are the units a size field accepts, in any case, spelled as installer.ParseSize
// wants them: K, M, G, T and KiB… are binary, KB… decimal.
var sizeUnits = map[string]string{
	"b": "B", "k": "K", "kib": "KiB", "kb": "KB", "m": "M", "mib": "MiB", "mb": "MB",
	"g": "G", "gib": "GiB", "gb": "GB", "t": "T", "tib": "TiB", "tb": "TB",
}

// parseSize reads a size typed in a field: 4g, 4G, 4GiB and 4096M alike; a bare number is
// in bare (installer.MiB or installer.GiB), which the field's description says.
func parseSize(s string, bare installer.Size) (installer.Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	if unit == "" {
		unit = map[installer.Size]string{installer.MiB: "m", installer.GiB: "g"}[bare]
	}
	u, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size (want e.g. %s)", s, sizeExample(bare))
	}
	z, err := installer.ParseSize(num + u)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (want e.g. %s)", s, sizeExample(bare))
	}
	return z, nil
}

func sizeExample(bare installer.Size) string {
	if bare == installer.MiB {
		return "4096 (MiB), 512M or 4G"
	}
	return "8 (GiB), 512M or 8G"
}
