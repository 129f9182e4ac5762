package installer

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/nixexpr"
)

// Input is one flake input the installer image was built from, as iso/installer.nix writes
// it to /etc/xennix/inputs.json: a github reference locked to a revision, its NAR hash, and
// the store path where the image carries its source.
type Input struct {
	Type         string `json:"type"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Rev          string `json:"rev"`
	NarHash      string `json:"narHash"`
	LastModified int64  `json:"lastModified"`
	Path         string `json:"path"`
}

// Inputs are the image's locked flake inputs by name: nixpkgs, disko, impermanence.
type Inputs map[string]Input

// InputsPath is where the installer image records its inputs.
const InputsPath = "/etc/xennix/inputs.json"

var (
	revRE     = regexp.MustCompile(`^[0-9a-f]{40}$`)
	narHashRE = regexp.MustCompile(`^sha256-[A-Za-z0-9+/]{43}=$`)
	ghNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// LoadInputs reads and checks an inputs.json.
func LoadInputs(path string) (Inputs, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read flake inputs: %w", err)
	}
	var in Inputs
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("read flake inputs %s: %w", path, err)
	}
	for _, name := range []string{"nixpkgs", "disko", "impermanence", "xennix"} {
		i, ok := in[name]
		switch {
		case !ok && name == "xennix":
			continue // an image built from an uncommitted tree does not know its revision
		case !ok:
			return nil, fmt.Errorf("flake inputs %s: %s is missing", path, name)
		case i.Type != "github" || !ghNameRE.MatchString(i.Owner) || !ghNameRE.MatchString(i.Repo):
			return nil, fmt.Errorf("flake inputs %s: %s is not a github input", path, name)
		case !revRE.MatchString(i.Rev):
			return nil, fmt.Errorf("flake inputs %s: %s.rev %q is not a git revision", path, name, i.Rev)
		case !narHashRE.MatchString(i.NarHash):
			return nil, fmt.Errorf("flake inputs %s: %s.narHash %q is not an SRI sha256", path, name, i.NarHash)
		}
	}
	return in, nil
}

// unlockedInputs are used when the installer does not run from a XenNix image (a dry run on
// a workstation): branch references, which need the network to resolve.
var unlockedInputs = map[string][3]string{
	"nixpkgs":      {"NixOS", "nixpkgs", "nixos-unstable"},
	"disko":        {"nix-community", "disko", "master"},
	"impermanence": {"nix-community", "impermanence", "master"},
}

var inputOrder = []string{"nixpkgs", "disko", "impermanence"}

// flakeNix is /etc/nixos/flake.nix: the host's flake, its inputs pinned to the image's.
func flakeNix(host string, in Inputs) ([]byte, error) {
	inputs := nixexpr.NewAttrs()
	for _, name := range inputOrder {
		ref := ""
		if i, ok := in[name]; ok {
			ref = fmt.Sprintf("github:%s/%s/%s", i.Owner, i.Repo, i.Rev)
		} else {
			u := unlockedInputs[name]
			ref = fmt.Sprintf("github:%s/%s/%s", u[0], u[1], u[2])
		}
		a := nixexpr.NewAttrs().Set("url", nixexpr.String(ref))
		if name != "nixpkgs" {
			a.SetDotted("inputs.nixpkgs.follows", nixexpr.String("nixpkgs"))
		}
		if name == "impermanence" {
			// Only for impermanence's own tests; the image does not carry it.
			a.SetDotted("inputs.home-manager.follows", nixexpr.String(""))
		}
		inputs.Set(name, a)
	}
	modules := nixexpr.List{
		nixexpr.Ref("disko.nixosModules.disko"),
		nixexpr.Ref("impermanence.nixosModules.impermanence"),
	}
	args := []string{"self", "nixpkgs", "disko", "impermanence"}
	if x, ok := in["xennix"]; ok {
		// The XenNix the image was built from: its overlay gives pkgs.xennix, which the host
		// modules install (xennix-setup).
		inputs.Set("xennix", nixexpr.NewAttrs().
			Set("url", nixexpr.String(fmt.Sprintf("github:%s/%s/%s", x.Owner, x.Repo, x.Rev))).
			Set("inputs", nixexpr.NewAttrs().
				SetDotted("nixpkgs.follows", nixexpr.String("nixpkgs")).
				SetDotted("disko.follows", nixexpr.String("disko")).
				SetDotted("impermanence.follows", nixexpr.String("impermanence"))))
		modules = append(modules, nixexpr.NewAttrs().SetDotted("nixpkgs.overlays", nixexpr.List{nixexpr.Ref("xennix.overlays.default")}))
		args = append(args, "xennix")
	}
	modules = append(modules, nixexpr.Path("./configuration.nix"))
	system := nixexpr.Call{Fn: "nixpkgs.lib.nixosSystem", Args: []nixexpr.Expr{nixexpr.NewAttrs().
		Set("system", nixexpr.String("x86_64-linux")).
		Set("specialArgs", nixexpr.NewAttrs().Set("inputs", nixexpr.Ref("inputs"))).
		Set("modules", modules)}}
	// The configuration is named after networking.hostName as settings.nix (machine-owned,
	// rewritten by xennix-setup) sets it, not after the name at install time: renaming the
	// host renames the configuration with it, so `nixos-rebuild --flake /etc/nixos#NEW`
	// works, and so does plain `--flake /etc/nixos` after the switch (nixos-rebuild picks the
	// configuration named like the running host). settings.nix is a function of pkgs; the
	// host name does not depend on it.
	hostName := nixexpr.Select{
		From: nixexpr.Call{Fn: "import", Args: []nixexpr.Expr{nixexpr.Path("./xennix/settings.nix"), nixexpr.NewAttrs().Set("pkgs", nixexpr.NewAttrs())}},
		Path: []string{"networking", "hostName"},
	}
	configs := nixexpr.Call{Fn: "builtins.listToAttrs", Args: []nixexpr.Expr{nixexpr.List{
		nixexpr.NewAttrs().Set("name", nixexpr.Ref("hostName")).Set("value", system),
	}}}
	outputs := nixexpr.Func{Name: "inputs", Args: args, Ellipsis: true,
		Body: nixexpr.Let{
			Bindings: nixexpr.NewAttrs().Set("hostName", hostName),
			Body:     nixexpr.NewAttrs().Set("nixosConfigurations", configs),
		}}
	flake := nixexpr.NewAttrs().
		Set("description", nixexpr.String("A XenNix host")).
		Set("inputs", inputs).
		Set("outputs", outputs)
	header := []string{
		"The flake of this XenNix host, written once by the installer. Its inputs are pinned in",
		"flake.lock to the revisions the installer image carried, so it builds offline.",
	}
	if len(in) == 0 {
		header = []string{
			"The flake of this XenNix host, written once by the installer. Its inputs are branches:",
			"the installer did not run from a XenNix image, so there was no flake.lock to write; the",
			"first build resolves them (network needed) and writes one.",
		}
	}
	return nixexpr.File(append(header,
		"Rebuild with: nixos-rebuild switch --flake /etc/nixos#"+host,
		"(the configuration's name follows networking.hostName in xennix/settings.nix)."),
		flake)
}

// flakeLock is the flake.lock for flakeNix: Nix finds each locked input in the store by its
// narHash, which the image carries, so nothing is downloaded. Without locked inputs there is
// no lock file: Nix resolves and writes one on the first build.
func flakeLock(in Inputs) ([]byte, error) {
	if len(in) == 0 {
		return nil, nil
	}
	nodes := map[string]any{}
	rootInputs := map[string]any{}
	names := inputOrder
	if _, ok := in["xennix"]; ok {
		names = append(slices.Clone(inputOrder), "xennix")
	}
	for _, name := range names {
		i := in[name]
		node := map[string]any{
			"locked": map[string]any{
				"lastModified": i.LastModified, "narHash": i.NarHash, "owner": i.Owner,
				"repo": i.Repo, "rev": i.Rev, "type": "github",
			},
			"original": map[string]any{"owner": i.Owner, "repo": i.Repo, "rev": i.Rev, "type": "github"},
		}
		switch name {
		case "disko":
			node["inputs"] = map[string]any{"nixpkgs": []string{"nixpkgs"}}
		case "impermanence":
			// follows = "" is an empty input path in the lock file.
			node["inputs"] = map[string]any{"nixpkgs": []string{"nixpkgs"}, "home-manager": []string{}}
		case "xennix":
			node["inputs"] = map[string]any{"nixpkgs": []string{"nixpkgs"}, "disko": []string{"disko"}, "impermanence": []string{"impermanence"}}
		}
		nodes[name] = node
		rootInputs[name] = name
	}
	nodes["root"] = map[string]any{"inputs": rootInputs}
	b, err := json.MarshalIndent(map[string]any{"nodes": nodes, "root": "root", "version": 7}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// configurationNix is the user's /etc/nixos/configuration.nix: written once, never by
// xennix-setup, small enough to read in one look.
func configurationNix(stateVersion string) ([]byte, error) {
	body := nixexpr.NewAttrs().
		Set("imports", nixexpr.List{
			nixexpr.Path("./hardware-configuration.nix"),
			nixexpr.Path("./disko.nix"),
			nixexpr.Path("./xennix/host.nix"),
			nixexpr.Path("./xennix/settings.nix"),
			nixexpr.Path("./xennix/network.nix"),
		}).
		SetDotted("system.stateVersion", nixexpr.Comment{Lines: []string{
			"The NixOS release this host was installed with; see `man configuration.nix`",
			"before changing it.",
		}, Expr: nixexpr.String(stateVersion)})
	return nixexpr.File([]string{
		"Your configuration. XenNix wrote it once and never rewrites it: add your own settings",
		"here. What the installer and xennix-setup manage lives in ./xennix/ (settings.nix,",
		"network.nix); the disk layout is ./disko.nix.",
	}, nixexpr.Module(body))
}

// stateVersion reads the NixOS release of the image's nixpkgs (its .version file), falling
// back to the release the flake pins.
func stateVersion(in Inputs) string {
	if i, ok := in["nixpkgs"]; ok && i.Path != "" {
		for _, f := range []string{".version", "lib/.version"} {
			if b, err := os.ReadFile(i.Path + "/" + f); err == nil {
				v := strings.TrimSpace(string(b))
				if m := regexp.MustCompile(`^\d{2}\.\d{2}`).FindString(v); m != "" {
					return m
				}
			}
		}
	}
	return "25.11"
}

// settingsNix renders the answers as option values: standard NixOS options for identity and
// accounts, and the xennix.* options of the host modules (assets/nixos/OPTIONS.md).
func (h Resolved) settingsNix() ([]byte, error) {
	a, im := h.Answers, h.Implied
	s := nixexpr.NewAttrs()
	s.SetDotted("networking.hostName", nixexpr.String(a.Host.Hostname))
	if a.Host.Domain != "" {
		s.SetDotted("networking.domain", nixexpr.String(a.Host.Domain))
	}
	if im.HostID != "" {
		s.SetDotted("networking.hostId", nixexpr.Comment{Lines: []string{"ZFS needs a host id; derived from the first disk's serial."}, Expr: nixexpr.String(im.HostID)})
	}
	s.SetDotted("time.timeZone", nixexpr.String(a.Host.Timezone))
	s.SetDotted("console.keyMap", nixexpr.String(a.Host.Keymap))
	s.SetDotted("i18n.defaultLocale", nixexpr.String(a.Host.Locale))

	x := nixexpr.NewAttrs()
	x.Set("enable", nixexpr.Bool(true))
	x.Set("boot", h.bootAttrs())
	x.Set("xen", h.xenAttrs())
	x.Set("storage", h.storageAttrs())
	if imp := h.impermanenceAttrs(); imp != nil {
		x.Set("impermanence", imp)
	}
	x.SetDotted("ssh.enable", nixexpr.Bool(a.SSHEnabled()))
	if len(a.Install.FirstBoot) > 0 {
		x.SetDotted("firstBoot.commands", nixexpr.Strings(a.Install.FirstBoot...))
	}
	s.Set("xennix", x)

	// What the layout needs from the host beyond what disko's own module sets.
	for _, m := range im.NeededForBoot {
		s.Set("fileSystems", mergeAttrs(s, "fileSystems").Set(m, nixexpr.NewAttrs().Set("neededForBoot", nixexpr.Bool(true))))
	}
	if im.SwRaid {
		s.SetDotted("boot.swraid.mdadmConf", nixexpr.Comment{Lines: []string{"mdmon warns without a MAILADDR (nixos/modules/tasks/swraid.nix)."}, Expr: nixexpr.String("MAILADDR root")})
	}
	if im.LVM {
		s.SetDotted("boot.initrd.services.lvm.enable", nixexpr.Bool(true))
	}
	if im.LVMThin {
		s.SetDotted("services.lvm.boot.thin.enable", nixexpr.Bool(true))
	}

	h.users(s)
	if a.SSHEnabled() {
		s.SetDotted("services.openssh.settings", nixexpr.NewAttrs().
			Set("PermitRootLogin", nixexpr.String(a.SSH.RootLogin)).
			Set("PasswordAuthentication", nixexpr.Bool(a.SSH.PasswordAuth)))
	}
	if len(a.Install.ExtraPackages) > 0 {
		pkgs := slices.Clone(a.Install.ExtraPackages)
		sort.Strings(pkgs)
		var l nixexpr.List
		for _, p := range pkgs {
			l = append(l, nixexpr.Ref("pkgs."+p))
		}
		s.SetDotted("environment.systemPackages", l)
	}
	return nixexpr.File([]string{
		"Generated by xennix from xennix/answers.yaml. Machine-owned: xennix-setup rewrites this",
		"file, and never ../configuration.nix. Put your own settings there.",
	}, nixexpr.Func{Args: []string{"pkgs"}, Ellipsis: true, Body: s})
}

// bootAttrs are xennix.boot: the loader, where it goes, and the mirror ESPs kept in sync.
func (h Resolved) bootAttrs() *nixexpr.Attrs {
	a, im := h.Answers, h.Implied
	boot := nixexpr.NewAttrs().
		Set("firmware", nixexpr.String(h.Firmware)).
		Set("loader", nixexpr.String(h.Loader))
	if im.Limine != nil {
		boot.Set("biosDevice", nixexpr.String(im.Limine.BIOSDevice))
		boot.Set("biosPartitionIndex", nixexpr.Int(im.Limine.PartitionIndex))
	}
	if len(im.ESPMountPoints) > 1 {
		boot.Set("mirroredESPs", nixexpr.Strings(im.ESPMountPoints[1:]...))
		if im.Limine != nil && im.Limine.MirrorDevice != "" {
			boot.Set("mirrorBIOSDevice", nixexpr.String(im.Limine.MirrorDevice))
		}
	}
	if a.Boot.SerialConsole != "" {
		boot.Set("serialConsole", nixexpr.String(a.Boot.SerialConsole))
	}
	return boot
}

// xenAttrs are xennix.xen: dom0's resources and Xen's command line.
func (h Resolved) xenAttrs() *nixexpr.Attrs {
	a := h.Answers
	mem := h.Dom0Memory
	maxMem := a.Xen.Dom0MaxMemory
	if maxMem == 0 {
		maxMem = mem
	}
	xen := nixexpr.NewAttrs().
		Set("dom0Memory", nixexpr.Int(int64(mem/MiB))).
		Set("dom0MaxMemory", nixexpr.Int(int64(maxMem/MiB))).
		Set("dom0VCPUs", nixexpr.Int(int64(h.Dom0VCPUs))).
		Set("autoballoon", nixexpr.Bool(a.Xen.Autoballoon)).
		Set("iommu", nixexpr.String(a.Xen.IOMMU))
	if len(a.Xen.Cmdline) > 0 {
		xen.Set("extraParams", nixexpr.Strings(a.Xen.Cmdline...))
	}
	if pci := a.Passthrough(); len(pci) > 0 {
		xen.Set("passthrough", nixexpr.Strings(pci...))
	}
	return xen
}

// storageAttrs are xennix.storage: where guests' disks live, and the ZFS pools to import.
func (h Resolved) storageAttrs() *nixexpr.Attrs {
	im := h.Implied
	guests := nixexpr.NewAttrs().Set("kind", nixexpr.String(im.Guest.Kind))
	switch im.Guest.Kind {
	case disko.GuestDirectory:
		guests.Set("path", nixexpr.String(im.Guest.Location))
	case disko.GuestThinPool:
		guests.Set("thinPool", nixexpr.String(im.Guest.Location))
	case disko.GuestZvol:
		guests.Set("zvolParent", nixexpr.String(im.Guest.Location))
	}
	storage := nixexpr.NewAttrs().Set("guests", guests)
	if len(im.Pools) > 0 {
		storage.Set("zfsPools", nixexpr.Strings(im.Pools...))
	}
	return storage
}

// impermanenceAttrs are xennix.impermanence, or nil when / is kept.
func (h Resolved) impermanenceAttrs() *nixexpr.Attrs {
	a, im := h.Answers, h.Implied
	if p := a.Impermanence.Preset; p != "" && p != ImpermanenceNone {
		imp := nixexpr.NewAttrs().Set("preset", nixexpr.String(p))
		if len(a.Impermanence.Directories) > 0 {
			imp.Set("directories", nixexpr.Strings(a.Impermanence.Directories...))
		}
		if len(a.Impermanence.Files) > 0 {
			imp.Set("files", nixexpr.Strings(a.Impermanence.Files...))
		}
		rb := im.Rollback
		switch rb.Kind {
		case "btrfs":
			imp.Set("rollback", nixexpr.NewAttrs().
				Set("device", nixexpr.String(rb.Device)).
				Set("subvolume", nixexpr.String(rb.Subvolume)).
				Set("blank", nixexpr.String(rb.Blank)))
		case "zfs":
			imp.Set("rollback", nixexpr.NewAttrs().
				Set("dataset", nixexpr.String(rb.Dataset)).
				Set("snapshot", nixexpr.String(rb.Snapshot)))
		}
		return imp
	}
	return nil
}

// users sets the accounts (users.users) and what follows from them: sudo without a
// password for an admin who has none, immutable users under impermanence.
func (h Resolved) users(s *nixexpr.Attrs) {
	a := h.Answers
	users := nixexpr.NewAttrs()
	root := nixexpr.NewAttrs()
	a.setPassword(root, "root", a.Users.Root)
	if len(a.Users.Root.SSHKeys) > 0 {
		root.SetDotted("openssh.authorizedKeys.keys", nixexpr.Strings(a.Users.Root.SSHKeys...))
	}
	if root.Len() > 0 {
		users.Set("root", root)
	}
	if ad := a.Users.Admin; ad.Name != "" {
		u := nixexpr.NewAttrs().
			Set("isNormalUser", nixexpr.Bool(true)).
			Set("extraGroups", nixexpr.Strings("wheel"))
		a.setPassword(u, ad.Name, ad)
		if len(ad.SSHKeys) > 0 {
			u.SetDotted("openssh.authorizedKeys.keys", nixexpr.Strings(ad.SSHKeys...))
		}
		users.Set(ad.Name, u)
		if !hasPassword(ad) {
			// sudo would ask the admin for a password it does not have (sudo.nix).
			s.SetDotted("security.sudo.wheelNeedsPassword", nixexpr.Bool(false))
		}
	}
	s.SetDotted("users.users", users)
	if a.Impermanence.Preset != "" && a.Impermanence.Preset != ImpermanenceNone {
		// /etc/shadow is not persisted: accounts must come from the configuration alone.
		s.SetDotted("users.mutableUsers", nixexpr.Bool(false))
	}
}

// mergeAttrs returns the attribute set at key in s, creating it when missing.
func mergeAttrs(s *nixexpr.Attrs, key string) *nixexpr.Attrs {
	if v, ok := s.Get(key); ok {
		if a, ok := v.(*nixexpr.Attrs); ok {
			return a
		}
	}
	return nixexpr.NewAttrs()
}
