package guests

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ManifestPath is where the host module writes the manifest, relative to the root.
const ManifestPath = "etc/xen/xennix/guests.json"

// ManifestVersion is the manifest format this package reads (OPTIONS.md, "The manifest").
const ManifestVersion = 1

// Manifest is /etc/xen/xennix/guests.json: one entry per enabled guest declared in the
// host's configuration (by the user or by the tool), as the running system built it.
type Manifest struct {
	Version int              `json:"version"`
	Guests  map[string]Entry `json:"guests"`
}

// Entry is one guest of the manifest (assets/nixos/guests/default.nix, `manifestEntry`).
type Entry struct {
	Kind             Kind            `json:"kind"`
	Type             Type            `json:"type"`
	UUID             string          `json:"uuid"`
	Memory           int             `json:"memory"`    // MiB
	MaxMemory        int             `json:"maxMemory"` // MiB
	VCPUs            int             `json:"vcpus"`
	Autostart        bool            `json:"autostart"`
	RestartIfChanged bool            `json:"restartIfChanged"`
	Unit             string          `json:"unit"`
	ConfigFile       string          `json:"configFile"`
	Link             string          `json:"link"`
	Booted           string          `json:"booted"`
	PCI              []string        `json:"pci"`
	Disks            []ManifestDisk  `json:"disks"`
	Interfaces       []ManifestIface `json:"interfaces"`
	Toplevel         *string         `json:"toplevel"`
}

// ManifestDisk is one disk of a manifest entry, in xl order.
type ManifestDisk struct {
	Target   string  `json:"target"`
	Format   string  `json:"format"`
	VDev     string  `json:"vdev"`
	ReadOnly bool    `json:"readOnly"`
	CDROM    bool    `json:"cdrom"`
	Volume   *string `json:"volume"`
	// Role is store (a NixOS guest's store image), disk or iso.
	Role string `json:"role"`
}

// ManifestIface is one network interface of a manifest entry.
type ManifestIface struct {
	Bridge string  `json:"bridge"`
	MAC    string  `json:"mac"`
	VLAN   *int    `json:"vlan"`
	IPv4   *string `json:"ipv4"`
}

// ReadManifest reads the manifest under root. A host without guests has none: that is an
// empty manifest, not an error.
func ReadManifest(root string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(root, ManifestPath))
	if errors.Is(err, os.ErrNotExist) {
		return Manifest{Version: ManifestVersion, Guests: map[string]Entry{}}, nil
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read the guests manifest: %w", err)
	}
	return ParseManifest(b)
}

// ParseManifest decodes a manifest.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("read the guests manifest: %w", err)
	}
	if m.Version != ManifestVersion {
		return Manifest{}, fmt.Errorf("read the guests manifest: version %d (this xennix reads %d)", m.Version, ManifestVersion)
	}
	if m.Guests == nil {
		m.Guests = map[string]Entry{}
	}
	return m, nil
}

// Names returns the manifest's guest names, sorted.
func (m Manifest) Names() []string {
	out := make([]string, 0, len(m.Guests))
	for n := range m.Guests {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
