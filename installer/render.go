package installer

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// RenderOptions are what Render needs beyond the resolved host.
type RenderOptions struct {
	// Install also renders the files the installer writes once and xennix-setup never
	// rewrites: flake.nix, flake.lock, configuration.nix, disko.nix and the host modules.
	Install bool
	// Inputs are the image's locked flake inputs; nil renders an unlocked flake and no lock.
	Inputs Inputs
	// StateVersion is the NixOS release of the host (configuration.nix, new NixOS guests);
	// empty means the release of Inputs' nixpkgs.
	StateVersion string
	// HostModules are the XenNix host modules (assets/nixos) for xennix/; nil renders none.
	HostModules fs.FS
	// KeepGuestsFile renders xennix/guests.nix even with no guests: a host that had guests
	// keeps an empty one, so that removing the last guest stops it.
	KeepGuestsFile bool
}

// answersHeader heads xennix/answers.yaml and the applied record, whoever writes them.
var answersHeader = []string{
	"yaml-language-server: $schema=" + SchemaID,
	"The answers of this host: written by the installer, read and rewritten by xennix-setup;",
	"`xennix install --answers` installs an identical machine. No secrets: password hashes are",
	"in " + SecretsDir + " (root only: this directory is copied into the Nix store), and a",
	"password: given here is hashed into it at the next apply.",
}

// Render is the one renderer of a host's configuration: the files of /etc/nixos for the
// resolved host, paths relative to /etc/nixos, and its password hash files at their
// absolute paths. The install renders them all (Install) and writes them; xennix-setup
// renders the machine-owned ones (MachineOwned) and the user's guest modules (userOwned,
// written when missing), so an installed tree re-rendered by xennix-setup is the tree the
// installer wrote. The order is the order of writing.
func Render(h Resolved, o RenderOptions) ([]File, error) {
	sv := o.StateVersion
	if sv == "" {
		sv = stateVersion(o.Inputs)
	}
	settings, err := h.settingsNix()
	if err != nil {
		return nil, fmt.Errorf("render settings: %w", err)
	}
	netNix, err := h.Network.RenderFile()
	if err != nil {
		return nil, fmt.Errorf("render network: %w", err)
	}
	// answers.yaml is in the flake's directory, which goes into the world-readable store:
	// password hashes stay out of it (and out of the applied record, so that a resume with
	// a plaintext password is the same plan), in their own root-only files.
	saved, err := h.Record.withoutHashes().Marshal(answersHeader...)
	if err != nil {
		return nil, err
	}

	var files []File
	if o.Install {
		once, err := h.installFiles(sv, o.Inputs)
		if err != nil {
			return nil, err
		}
		files = once
	}
	files = append(files,
		File{Path: SettingsFile, Data: settings},
		File{Path: NetworkFile, Data: netNix},
		File{Path: AnswersFile, Data: saved, Mode: 0o600},
	)
	files = append(files, h.Answers.passwordFiles()...)
	gfiles, err := h.Answers.guestFiles(sv, o.KeepGuestsFile)
	if err != nil {
		return nil, err
	}
	for _, p := range sortedKeys(gfiles) {
		files = append(files, File{Path: p, Data: gfiles[p]})
	}
	if !o.Install || o.HostModules == nil {
		return files, nil
	}
	err = fs.WalkDir(o.HostModules, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tests" || d.Name() == "examples") {
			return fs.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".nix") {
			return nil
		}
		b, err := fs.ReadFile(o.HostModules, p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: path.Join("xennix", p), Data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read host modules: %w", err)
	}
	return files, nil
}

// installFiles are the files the installer writes once, before the machine-owned ones.
func (h Resolved) installFiles(stateVersion string, in Inputs) ([]File, error) {
	flake, err := flakeNix(h.Answers.Host.Hostname, in)
	if err != nil {
		return nil, fmt.Errorf("render flake: %w", err)
	}
	lock, err := flakeLock(in)
	if err != nil {
		return nil, fmt.Errorf("render flake.lock: %w", err)
	}
	conf, err := configurationNix(stateVersion)
	if err != nil {
		return nil, fmt.Errorf("render configuration.nix: %w", err)
	}
	diskoNix, err := h.Layout.Render()
	if err != nil {
		return nil, fmt.Errorf("render disk layout: %w", err)
	}
	files := []File{{Path: "flake.nix", Data: flake}}
	if lock != nil {
		files = append(files, File{Path: "flake.lock", Data: lock})
	}
	return append(files,
		File{Path: "configuration.nix", Data: conf},
		File{Path: DiskoFile, Data: diskoNix},
	), nil
}

// DiskoFile is the disk layout under /etc/nixos.
const DiskoFile = "disko.nix"

// MachineOwned reports whether xennix-setup owns a file Render returns: it rewrites it
// whenever it differs. The flake, configuration.nix, the disk layout and the host modules
// are the installer's, written once (the layout cannot change on an installed host, and
// the modules change with the XenNix flake input, not with the answers).
func MachineOwned(p string) bool {
	switch {
	case p == SettingsFile, p == NetworkFile, p == AnswersFile, p == GuestsFile:
		return true
	case path.IsAbs(p): // a password hash file
		return true
	}
	return false
}
