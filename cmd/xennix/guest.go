package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/installer/tui"
)

// guestRunner returns the runner the guest commands use on the host under root: commands
// run with LC_ALL=C (under another --root than /, a rebuild only builds that tree, as
// xennix-setup's), or, for console and ssh (interactive), attached to the terminal. Tests
// replace it with a recorder.
var guestRunner = func(cmd *cobra.Command, root string, interactive bool) installer.Runner {
	if interactive {
		return terminalRunner{in: cmd.InOrStdin(), out: cmd.OutOrStdout(), err: cmd.ErrOrStderr()}
	}
	return setupRunner(root)
}

// terminalRunner runs a command on the operator's terminal (xl console, ssh).
type terminalRunner struct {
	in       io.Reader
	out, err io.Writer
}

func (t terminalRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = t.in, t.out, t.err
	return nil, c.Run()
}

type guestFlags struct {
	setup      setupFlags
	json       bool
	from       string
	dryRun     bool
	purgeDisks bool
	serial     bool
	add        addFlags
}

// addFlags are `xennix guest add`'s shorthands; each becomes a KEY=VALUE of `set`.
type addFlags struct {
	kind, memory, iso, ipv4, gateway, mac, bridge string
	vcpus                                         int
	volumes, disks, pci, sshKeys                  []string
	noAutostart                                   bool
}

func (a addFlags) assignments() []string {
	var out []string
	add := func(k, v string) {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	add("kind", a.kind)
	add("memory", a.memory)
	if a.vcpus != 0 {
		add("vcpus", fmt.Sprint(a.vcpus))
	}
	add("iso", yamlString(a.iso))
	n := 0
	for _, v := range a.volumes {
		name, size, _ := strings.Cut(v, ":")
		add(fmt.Sprintf("disks[%d].volume", n), yamlString(name))
		add(fmt.Sprintf("disks[%d].size", n), yamlString(size))
		n++
	}
	for _, d := range a.disks {
		add(fmt.Sprintf("disks[%d].target", n), yamlString(d))
		n++
	}
	add("network[0].bridge", yamlString(a.bridge))
	add("network[0].mac", yamlString(a.mac))
	add("network[0].ipv4.address", yamlString(a.ipv4))
	add("network[0].ipv4.gateway", yamlString(a.gateway))
	for i, p := range a.pci {
		add(fmt.Sprintf("pci[%d]", i), yamlString(p))
	}
	for i, k := range a.sshKeys {
		add(fmt.Sprintf("ssh_keys[%d]", i), yamlString(k))
	}
	if a.noAutostart {
		add("autostart", "false")
	}
	return out
}

// yamlString quotes a flag's text so that SetGuest reads it as that string.
func yamlString(s string) string {
	if s == "" {
		return ""
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func newGuestCmd() *cobra.Command {
	var f guestFlags
	cmd := &cobra.Command{
		Use:   "guest",
		Short: "List, add, change, start, stop and reach the Xen guests of this host",
		Long: `xennix guest manages the Xen guests of an installed XenNix host. Three kinds live side by
side: guests the tool manages (the guests: section of /etc/nixos/xennix/answers.yaml,
rendered into xennix/guests.nix), guests declared in your own Nix (read-only here: edit
them there), and domains no configuration declares (xl create by hand, /etc/xen/auto),
which are listed and never touched.

  xennix guest list [--json]
  xennix guest show NAME
  xennix guest add NAME [--memory 2GiB --vcpus 2 --volume var:20GiB ...] | --from FILE.yaml
  xennix guest set NAME KEY=VALUE...          e.g. memory=4GiB network[0].ipv4.address=192.0.2.21/24
                                              extra_config.viridian=[defaults] (a free xl.cfg key)
  xennix guest rm NAME [--purge-disks]
  xennix guest adopt DOMAIN                   an unmanaged running domain becomes the tool's
  xennix guest start|stop|restart|reboot|shutdown NAME
  xennix guest apply [NAME...]                restart guests running on an outdated configuration
  xennix guest console NAME [--serial]
  xennix guest ssh NAME [-- ARGS...]
  xennix guest diff                           what the next switch does to the guests

add, set and rm change answers.yaml and xennix/guests.nix and run nixos-rebuild, as
xennix-setup apply does: the previous files are kept as .prev and put back if the rebuild
fails.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&f.setup.root, "root", "/", "root of the host (for testing)")
	cmd.PersistentFlags().StringVar(&f.setup.hardware, "hardware", "", "hardware report (xennix probe --json) instead of probing (for testing)")

	cmd.AddCommand(guestListCmd(&f), guestShowCmd(&f), guestAddCmd(&f), guestSetCmd(&f), guestRmCmd(&f), guestAdoptCmd(&f))
	for _, a := range []struct {
		action guests.Action
		short  string
	}{
		{guests.ActionStart, "Start a guest (its unit)"},
		{guests.ActionStop, "Stop a guest (its unit: a graceful shutdown, then destroy)"},
		{guests.ActionRestart, "Restart a guest on its current configuration (its unit)"},
		{guests.ActionReboot, "Reboot a guest from inside (xl reboot: it keeps the configuration it booted)"},
		{guests.ActionShutdown, "Shut a guest down from inside and wait (xl shutdown -w)"},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   string(a.action) + " NAME",
			Short: a.short,
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				m, _, err := guestState(f.setup.root)
				if err != nil {
					return err
				}
				if err := guests.Do(cmd.Context(), guestRunner(cmd, f.setup.root, false), m, a.action, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", args[0], a.action.Done())
				return nil
			},
		})
	}
	cmd.AddCommand(guestApplyCmd(&f), guestConsoleCmd(&f), guestSSHCmd(&f), guestDiffCmd(&f))
	return cmd
}

// guestListCmd is `xennix guest list`.
func guestListCmd(f *guestFlags) *cobra.Command {
	list := &cobra.Command{
		Use:   "list",
		Short: "List the guests: who manages them, their state, and whether they run their current configuration",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, managed, err := guestState(f.setup.root)
			if err != nil {
				return err
			}
			st, err := guests.List(cmd.Context(), guestRunner(cmd, f.setup.root, false), f.setup.root, m, managed)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if f.json {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if st == nil {
					st = []guests.Status{}
				}
				return enc.Encode(st)
			}
			_, err = fmt.Fprint(w, guests.Table(st))
			return err
		},
	}
	list.Flags().BoolVar(&f.json, "json", false, "print JSON")
	return list
}

// guestShowCmd is `xennix guest show`.
func guestShowCmd(f *guestFlags) *cobra.Command {
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a guest: its manifest entry, its xl.cfg and where it is defined",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, managed, err := guestState(f.setup.root)
			if err != nil {
				return err
			}
			e, ok := m.Guests[args[0]]
			if !ok {
				return fmt.Errorf("%s: %w (not in /%s)", args[0], guests.ErrNoGuest, guests.ManifestPath)
			}
			w := cmd.OutOrStdout()
			where := "declared in configuration.nix (or a module it imports): read-only to xennix"
			if managed(args[0]) {
				where = "managed by xennix: /etc/nixos/" + installer.GuestsFile + " (from xennix/answers.yaml)"
				if e.Kind == guests.KindNixOS {
					where += "; its NixOS configuration is /etc/nixos/" + installer.GuestModuleFile(args[0])
				}
			}
			fmt.Fprintf(w, "%s: %s\n", args[0], where)
			b, _ := json.MarshalIndent(e, "", "  ")
			fmt.Fprintf(w, "%s\n", b)
			if cfg, err := os.ReadFile(filepath.Join(f.setup.root, e.Link)); err == nil {
				fmt.Fprintf(w, "%s:\n%s", e.Link, cfg)
			}
			return nil
		},
	}
	return show
}

// guestAddCmd is `xennix guest add`.
func guestAddCmd(f *guestFlags) *cobra.Command {
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a guest the tool manages, and rebuild",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := loadHost(f.setup)
			if err != nil {
				return err
			}
			g := installer.Guest{Name: args[0]}
			if f.from != "" {
				data, err := os.ReadFile(f.from)
				if err != nil {
					return err
				}
				if g, err = installer.ParseGuest(f.from, data); err != nil {
					return printProblems(cmd.OutOrStdout(), f.from, err)
				}
				if g.Name != args[0] {
					return usageError{fmt.Errorf("%s names the guest %q, not %q", f.from, g.Name, args[0])}
				}
			}
			if g, err = installer.SetGuest(g, f.add.assignments()); err != nil {
				return printProblems(cmd.OutOrStdout(), "the flags", err)
			}
			next, err := h.AddGuest(g)
			if err != nil {
				return err
			}
			return applyGuests(cmd, h, next, f.dryRun)
		},
	}
	add.Flags().StringVar(&f.from, "from", "", "the guest as a YAML mapping, as an entry of the answers' guests: section")
	add.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the diff, change nothing")
	add.Flags().StringVar(&f.add.kind, "kind", "", "nixos (default), iso or image")
	add.Flags().StringVar(&f.add.memory, "memory", "", "memory, e.g. 2GiB (default 1GiB)")
	add.Flags().IntVar(&f.add.vcpus, "vcpus", 0, "virtual CPUs (default 1)")
	add.Flags().StringArrayVar(&f.add.volumes, "volume", nil, "a new volume NAME:SIZE, e.g. var:20GiB (repeatable)")
	add.Flags().StringArrayVar(&f.add.disks, "disk", nil, "an existing disk: an image file or /dev/disk/by-id/... (repeatable)")
	add.Flags().StringVar(&f.add.iso, "iso", "", "installer ISO (kind iso)")
	add.Flags().StringVar(&f.add.bridge, "bridge", "", "host bridge of the interface (default the host's)")
	add.Flags().StringVar(&f.add.mac, "mac", "", "MAC address (default derived)")
	add.Flags().StringVar(&f.add.ipv4, "ipv4", "", "static IPv4 address with prefix, e.g. 192.0.2.20/24 (default DHCP)")
	add.Flags().StringVar(&f.add.gateway, "gateway", "", "IPv4 gateway")
	add.Flags().StringArrayVar(&f.add.pci, "pci", nil, "PCI device to pass through, e.g. 0000:03:00.0 (repeatable)")
	add.Flags().StringArrayVar(&f.add.sshKeys, "ssh-key", nil, "SSH public key for root (NixOS guests; repeatable)")
	add.Flags().BoolVar(&f.add.noAutostart, "no-autostart", false, "do not start with the host")
	return add
}

// guestSetCmd is `xennix guest set`.
func guestSetCmd(f *guestFlags) *cobra.Command {
	set := &cobra.Command{
		Use:   "set NAME KEY=VALUE...",
		Short: "Change a guest the tool manages, and rebuild",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{errors.New("want NAME and at least one KEY=VALUE")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := loadHost(f.setup)
			if err != nil {
				return err
			}
			next, err := h.EditGuest(args[0], args[1:])
			if err != nil {
				if len(installer.Problems(err)) > 0 {
					return printProblems(cmd.OutOrStdout(), "xennix guest set", err)
				}
				return err
			}
			return applyGuests(cmd, h, next, f.dryRun)
		},
	}
	set.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the diff, change nothing")
	return set
}

// guestRmCmd is `xennix guest rm`.
func guestRmCmd(f *guestFlags) *cobra.Command {
	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a guest the tool manages (the switch stops it; its volumes are kept unless --purge-disks)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, _, err := loadHost(f.setup)
			if err != nil {
				return err
			}
			next, err := h.RemoveGuest(args[0])
			if err != nil {
				return err
			}
			entry := h.Manifest.Guests[args[0]]
			if err := applyGuests(cmd, h, next, f.dryRun); err != nil || !f.purgeDisks {
				return err
			}
			for _, d := range entry.Disks {
				if _, ok := guests.PurgeArgv(d); !ok && d.Role == "disk" {
					fmt.Fprintf(cmd.OutOrStdout(), "kept %s: not a volume xennix created\n", d.Target)
				}
			}
			if f.dryRun {
				for _, d := range entry.Disks {
					if argv, ok := guests.PurgeArgv(d); ok {
						fmt.Fprintf(cmd.OutOrStdout(), "would delete the volume %s: %s\n", d.Target, strings.Join(argv, " "))
					}
				}
				return nil
			}
			done, err := guests.Purge(cmd.Context(), guestRunner(cmd, f.setup.root, false), entry)
			for _, d := range done {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted the volume %s\n", d)
			}
			return err
		},
	}
	rm.Flags().BoolVar(&f.purgeDisks, "purge-disks", false, "also delete the guest's volumes (never its existing disks)")
	rm.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the diff, change nothing")
	return rm
}

// guestAdoptCmd is `xennix guest adopt`.
func guestAdoptCmd(f *guestFlags) *cobra.Command {
	adopt := &cobra.Command{
		Use:   "adopt DOMAIN",
		Short: "Take a running domain no configuration declares (xl create, /etc/xen/auto) into the tool's guests",
		Long: `xennix guest adopt makes an unmanaged domain a guest the tool manages: it reads the running
domain's configuration (xl list -l), adds it to the guests: section of answers.yaml and to
xennix/guests.nix as a guest of kind image (its own disks and boot loader, its UUID and
MACs kept), rebuilds, and moves its /etc/xen/auto file, if any, to /var/lib/xennix/adopted
so that xendomains does not start it a second time.

The domain keeps running as xl started it, and the adopted guest does not start with the
host yet (autostart false), so that the switch does not start a second copy. To move it
onto its managed configuration:

  xl shutdown -w DOMAIN && xennix guest start DOMAIN
  xennix guest set DOMAIN autostart=          (start it with the host from now on)

Only HVM domains that boot from their own disks can be adopted.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return adoptGuest(cmd, *f, args[0])
		},
	}
	adopt.Flags().BoolVar(&f.dryRun, "dry-run", false, "show the diff, change nothing")
	return adopt
}

// guestApplyCmd is `xennix guest apply`.
func guestApplyCmd(f *guestFlags) *cobra.Command {
	apply := &cobra.Command{
		Use:   "apply [NAME...]",
		Short: "Restart the guests that run an outdated configuration (stale)",
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := guestState(f.setup.root)
			if err != nil {
				return err
			}
			done, err := guests.Apply(cmd.Context(), guestRunner(cmd, f.setup.root, false), f.setup.root, m, args)
			for _, n := range done {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: restarted on its current configuration\n", n)
			}
			if err == nil && len(done) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no stale guests")
			}
			return err
		},
	}
	return apply
}

// guestConsoleCmd is `xennix guest console`.
func guestConsoleCmd(f *guestFlags) *cobra.Command {
	console := &cobra.Command{
		Use:   "console NAME",
		Short: "Attach to a guest's console (xl console; Ctrl-] detaches)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := guestState(f.setup.root)
			if err != nil {
				return err
			}
			return guests.Console(cmd.Context(), guestRunner(cmd, f.setup.root, true), m, args[0], f.serial)
		},
	}
	console.Flags().BoolVar(&f.serial, "serial", false, "the emulated serial port (HVM) instead of the PV console")
	return console
}

// guestSSHCmd is `xennix guest ssh`.
func guestSSHCmd(f *guestFlags) *cobra.Command {
	ssh := &cobra.Command{
		Use:   "ssh NAME [-- ARGS...]",
		Short: "Log in to a guest as root by SSH (its static address, else the one its MAC has on the bridge)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 {
				return usageError{errors.New("want NAME")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			m, _, err := guestState(f.setup.root)
			if err != nil {
				return err
			}
			return guests.SSH(cmd.Context(), guestRunner(cmd, f.setup.root, true), m, args[0], args[1:])
		},
	}
	return ssh
}

// guestDiffCmd is `xennix guest diff`.
func guestDiffCmd(f *guestFlags) *cobra.Command {
	diff := &cobra.Command{
		Use:   "diff",
		Short: "Build the configuration and say which guests the next switch restarts, stops or starts",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return guestDiff(cmd, f.setup)
		},
	}
	return diff
}

// adoptGuest is `xennix guest adopt`: the running domain name as a new guest of the
// tool's, applied like add, then its /etc/xen/auto files moved out of xendomains' way.
func adoptGuest(cmd *cobra.Command, f guestFlags, name string) error {
	w := cmd.OutOrStdout()
	h, _, err := loadHost(f.setup)
	if err != nil {
		return err
	}
	m, managed, err := guestState(f.setup.root)
	if err != nil {
		return err
	}
	if _, ok := m.Guests[name]; ok || h.Declared(name) {
		if managed(name) {
			return fmt.Errorf("%s: %w among the tool's (change it with `xennix guest set`)", name, installer.ErrGuestExists)
		}
		return fmt.Errorf("%s: %w", name, guests.ErrDeclared)
	}
	r := guestRunner(cmd, f.setup.root, false)
	mg, notes, err := guests.Adoptable(cmd.Context(), r, name)
	if err != nil {
		return err
	}
	// Not started by the switch: the domain xl started runs on, and the unit would refuse
	// to start a second domain of its name (the failed start would fail the rebuild).
	mg.Autostart = false
	next, err := h.AddGuest(installer.GuestFromModel(mg))
	if err != nil {
		return err
	}
	auto, err := guests.AutoFiles(f.setup.root, name)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if err := applyGuests(cmd, h, next, f.dryRun); err != nil {
		return err
	}
	if f.dryRun {
		for _, a := range auto {
			fmt.Fprintf(w, "would move %s to /%s, so that xendomains does not start %s too\n", a, guests.AdoptedDir, name)
		}
		return nil
	}
	for _, a := range auto {
		dst, err := guests.MoveAutoFile(f.setup.root, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "moved %s to %s: xendomains no longer starts %s\n", a, dst, name)
	}
	fmt.Fprintf(w, "%s is managed by xennix now, and runs on as xl started it. To run it from its unit:\n  xl shutdown -w %s && xennix guest start %s\n  xennix guest set %s autostart=    (to start it with the host)\n", name, name, name, name)
	return nil
}

// guestState reads the manifest of the running system under root and tells the tool's
// guests (those of the applied answers) from the user's; a host without answers.yaml (not
// installed by xennix) has only the user's.
func guestState(root string) (guests.Manifest, func(string) bool, error) {
	m, err := guests.ReadManifest(root)
	if err != nil {
		return m, nil, err
	}
	h, err := installer.LoadHost(root, nil)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return m, func(string) bool { return false }, nil
		}
		return m, nil, err
	}
	return m, func(n string) bool { _, ok := m.Guests[n]; return ok && !h.Declared(n) }, nil
}

// applyGuests shows the diff of changed answers and applies it as xennix-setup apply does.
func applyGuests(cmd *cobra.Command, h installer.InstalledHost, next installer.Answers, dryRun bool) error {
	w := cmd.OutOrStdout()
	pv, err := h.Preview(next, true)
	if err != nil {
		return printGuestProblems(w, next, err)
	}
	if len(pv.Changes) == 0 {
		fmt.Fprintln(w, "nothing to change")
		return nil
	}
	fmt.Fprint(w, installer.Diff(pv.Changes))
	fmt.Fprint(w, pv.Guests)
	if dryRun {
		fmt.Fprintf(w, "apply would run: nixos-rebuild %s%s\n", pv.Mode, because(pv.Why))
		return nil
	}
	res, err := h.Apply(cmd.Context(), next, true, guestRunner(cmd, h.Root, false))
	if err != nil {
		if len(res.Output) > 0 {
			fmt.Fprintf(w, "%s\n", tailLines(string(res.Output), 20))
		}
		return err
	}
	for _, c := range res.Changes {
		fmt.Fprintf(w, "wrote /etc/nixos/%s\n", c.Path)
	}
	fmt.Fprint(w, ranRebuild(h.Root, res))
	return nil
}

// guestDiff builds the host's configuration (nix build, through the runner) and compares
// the guests manifest of the result with the running system's.
func guestDiff(cmd *cobra.Command, f setupFlags) error {
	ctx, r, w := cmd.Context(), guestRunner(cmd, f.root, false), cmd.OutOrStdout()
	cur, _, err := guestState(f.root)
	if err != nil {
		return err
	}
	h, err := installer.LoadHost(f.root, nil)
	if err != nil {
		return err
	}
	attr := "/etc/nixos#nixosConfigurations." + h.Answers.Host.Hostname + ".config.system.build.toplevel"
	out, err := r.Run(ctx, []string{"nix", "build", "--no-link", "--print-out-paths", attr})
	if err != nil {
		return fmt.Errorf("build the configuration: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "/nix/store/") {
		return fmt.Errorf("build the configuration: nix build printed no store path: %q", out)
	}
	top := lines[len(lines)-1]
	next, err := guests.ReadManifest(filepath.Join(f.root, top))
	if err != nil {
		return err
	}
	doms, err := guests.Domains(ctx, r)
	if err != nil {
		return err
	}
	running := map[string]bool{}
	for n := range doms {
		running[n] = true
	}
	changes := guests.Diff(cur, next, running)
	if len(changes) == 0 {
		fmt.Fprintln(w, "the next switch changes no guest")
		return nil
	}
	words := map[string]string{"restart": "will restart", "stop": "will stop", "start": "will start", "stale": "changed, not restarted (restartIfChanged = false; xennix guest apply)"}
	for _, c := range changes {
		fmt.Fprintf(w, "%s: %s\n", c.Name, words[c.What])
	}
	return nil
}

var guestFieldRE = regexp.MustCompile(`^guests\[([0-9]+)\]\.?`)

// printGuestProblems prints the problems of answers changed by a guest command, each
// named by its guest and field ("db: memory: ..."): the operator gave flags or KEY=VALUE,
// not the host's answers.yaml, so its lines mean nothing here.
func printGuestProblems(w io.Writer, next installer.Answers, err error) error {
	problems := installer.Problems(err)
	if len(problems) == 0 {
		return err
	}
	for _, p := range problems {
		field := p.Field
		if m := guestFieldRE.FindStringSubmatch(field); m != nil {
			// Named by the guest's name, unless that is what is wrong with it (a name of 300
			// characters is no label).
			if i, _ := strconv.Atoi(m[1]); i < len(next.Guests) && guests.ValidName(next.Guests[i].Name) {
				field = next.Guests[i].Name + ": " + strings.TrimPrefix(field, m[0])
			}
		}
		fmt.Fprintf(w, "%s: %v\n", strings.TrimSuffix(field, ": "), p.Err)
	}
	fmt.Fprintf(w, "%d problem(s)\n", len(problems))
	return errSilent
}

// declaredGuests are the guests of the host's manifest that the user declares in Nix, for
// the guests list (read-only there).
func declaredGuests(h installer.InstalledHost) []tui.DeclaredGuest {
	var declared []tui.DeclaredGuest
	for _, n := range h.Manifest.Names() {
		if e := h.Manifest.Guests[n]; h.Declared(n) {
			declared = append(declared, tui.DeclaredGuest{Name: n, Kind: e.Kind, MemoryMiB: e.Memory, VCPUs: e.VCPUs})
		}
	}
	return declared
}

// newSetupGuestsCmd is `xennix-setup guests`: the guests screens (list, add/edit form,
// review), applied like xennix-setup's own.
func newSetupGuestsCmd(f *setupFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "guests",
		Short: "List, add, edit and remove the guests xennix manages, on screen",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, _, err := loadHost(*f)
			if err != nil {
				return err
			}
			in, err := setupInput(cmd, *f, "xennix-setup guests needs a terminal; use 'xennix-setup --accessible guests' or 'xennix guest add|set|rm'")
			if err != nil {
				return err
			}
			var rep hwdetect.Report
			if h.Report != nil {
				rep = *h.Report
			}
			w := cmd.OutOrStdout()
			var report string
			_, err = tui.RunGuests(cmd.Context(), tui.GuestsOptions{
				SetupOptions: tui.SetupOptions{
					Report: rep, Answers: h.Answers, Input: in, Output: w, Accessible: f.accessible, Declared: declaredGuests(h),
					Diff: func(next installer.Answers) (string, error) {
						return previewText(h, next, f.root, false)
					},
					Apply: func(ctx context.Context, next installer.Answers) (string, error) {
						res, err := h.Apply(ctx, next, true, guestRunner(cmd, f.root, false))
						var b strings.Builder
						if err != nil && len(res.Output) > 0 {
							fmt.Fprintf(&b, "%s\n", tailLines(string(res.Output), 20))
						}
						b.WriteString(wroteFiles(res))
						if err == nil && len(res.Changes) > 0 {
							b.WriteString(ranRebuild(f.root, res))
						}
						report = b.String()
						return report, err
					},
				},
			})
			return screensDone(w, f.accessible, report, err)
		},
	}
}
