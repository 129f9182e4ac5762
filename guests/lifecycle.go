package guests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinels for callers that branch on why an operation was refused.
var (
	// ErrNoGuest: no guest and no domain of that name.
	ErrNoGuest = errors.New("no such guest")
	// ErrUnmanaged: the domain is not declared anywhere; XenNix never touches it.
	ErrUnmanaged = errors.New("an unmanaged domain (not declared in the NixOS configuration): xennix does not touch it; use xl")
	// ErrDeclared: the guest is declared in the user's Nix; the tool cannot change it.
	ErrDeclared = errors.New("declared in configuration.nix (or a module it imports): edit it there")
	// ErrNoAddress: ssh found no address for the guest.
	ErrNoAddress = errors.New("no address known")
)

// Action is a lifecycle operation on a declared or tool-managed guest.
type Action string

// Actions. Start, stop and restart go through the guest's unit (restart creates the domain
// from the current cfg: it applies a change); reboot and shutdown ask the guest itself
// through xl, so a reboot keeps the generation it booted (xl create -F re-creates it from
// the configuration in memory).
const (
	ActionStart    Action = "start"
	ActionStop     Action = "stop"
	ActionRestart  Action = "restart"
	ActionReboot   Action = "reboot"
	ActionShutdown Action = "shutdown"
)

// Done is what an operator is told once a succeeded: "started", "stopped", ...
func (a Action) Done() string {
	switch a {
	case ActionStart:
		return "started"
	case ActionStop:
		return "stopped"
	case ActionRestart:
		return "restarted"
	case ActionReboot:
		return "rebooting"
	case ActionShutdown:
		return "shut down"
	}
	return string(a) + " done"
}

// Argv returns the command that performs a on the guest name of entry e.
func (a Action) Argv(name string, e Entry) ([]string, error) {
	switch a {
	case ActionStart, ActionStop, ActionRestart:
		return []string{"systemctl", string(a), "--", unitOf(name, e)}, nil
	case ActionReboot:
		return []string{"xl", "reboot", name}, nil
	case ActionShutdown:
		return []string{"xl", "shutdown", "-w", name}, nil
	}
	return nil, fmt.Errorf("unknown action %q", a)
}

// lookup finds name in the manifest; a running domain that is not there is unmanaged.
func lookup(ctx context.Context, r Runner, m Manifest, name string) (Entry, error) {
	if e, ok := m.Guests[name]; ok {
		return e, nil
	}
	doms, err := Domains(ctx, r)
	if err != nil {
		return Entry{}, err
	}
	if _, ok := doms[name]; ok {
		return Entry{}, fmt.Errorf("%s: %w", name, ErrUnmanaged)
	}
	return Entry{}, fmt.Errorf("%s: %w (not in /%s, not running)", name, ErrNoGuest, ManifestPath)
}

// Do performs a on the guest name, which must be in the manifest: an unmanaged domain is
// refused (ErrUnmanaged), whatever it is.
func Do(ctx context.Context, r Runner, m Manifest, a Action, name string) error {
	e, err := lookup(ctx, r, m, name)
	if err != nil {
		return err
	}
	argv, err := a.Argv(name, e)
	if err != nil {
		return err
	}
	if _, err := run(ctx, r, argv); err != nil {
		return fmt.Errorf("%s %s: %w", a, name, err)
	}
	return nil
}

// Apply restarts the stale guests among names (all guests when names is empty): those
// running on an older cfg than the current system declares (restartIfChanged = false, or
// a switch that was not restarted). It returns the guests restarted.
func Apply(ctx context.Context, r Runner, root string, m Manifest, names []string) ([]string, error) {
	for _, n := range names {
		if _, err := lookup(ctx, r, m, n); err != nil {
			return nil, err
		}
	}
	st, err := List(ctx, r, root, m, nil)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, s := range st {
		if s.Config != ConfigStale || (len(names) > 0 && !contains(names, s.Name)) {
			continue
		}
		if err := Do(ctx, r, m, ActionRestart, s.Name); err != nil {
			return done, err
		}
		done = append(done, s.Name)
	}
	return done, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Console attaches to the guest's console (xl console; serial picks the emulated serial
// port of an HVM guest instead of the PV console). It works on every domain, unmanaged ones
// too: attaching changes nothing. r must connect the terminal.
func Console(ctx context.Context, r Runner, m Manifest, name string, serial bool) error {
	if _, err := lookup(ctx, r, m, name); err != nil && !errors.Is(err, ErrUnmanaged) {
		return err
	}
	argv := []string{"xl", "console"}
	if serial {
		argv = append(argv, "-t", "serial")
	}
	if _, err := run(ctx, r, append(argv, name)); err != nil {
		return fmt.Errorf("console %s: %w", name, err)
	}
	return nil
}

// SSH logs in to the guest as root: at its static IPv4 address from the manifest, else at
// the address its first interface's MAC has in the host's neighbour table on its bridge.
// args are passed to ssh after the destination. r must connect the terminal.
func SSH(ctx context.Context, r Runner, m Manifest, name string, args []string) error {
	e, err := lookup(ctx, r, m, name)
	if err != nil {
		return err
	}
	addr, err := address(ctx, r, name, e)
	if err != nil {
		return err
	}
	argv := append([]string{"ssh", "root@" + addr.String()}, args...)
	if _, err := run(ctx, r, argv); err != nil {
		return fmt.Errorf("ssh %s: %w", name, err)
	}
	return nil
}

func address(ctx context.Context, r Runner, name string, e Entry) (netip.Addr, error) {
	if len(e.Interfaces) == 0 {
		return netip.Addr{}, fmt.Errorf("ssh %s: %w: it has no network interface", name, ErrNoAddress)
	}
	nic := e.Interfaces[0]
	if nic.IPv4 != nil {
		p, err := netip.ParsePrefix(*nic.IPv4)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("ssh %s: the manifest's address %q: %w", name, *nic.IPv4, err)
		}
		return p.Addr(), nil
	}
	out, err := run(ctx, r, []string{"ip", "neigh", "show", "dev", nic.Bridge})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ssh %s: %w", name, err)
	}
	// Lines like "192.168.1.20 lladdr 00:16:3e:0e:29:a5 REACHABLE".
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	var v6 netip.Addr
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i := 1; i+1 < len(f); i++ {
			if f[i] != "lladdr" || !strings.EqualFold(f[i+1], nic.MAC) {
				continue
			}
			a, err := netip.ParseAddr(f[0])
			if err != nil {
				continue
			}
			if a.Is4() {
				return a, nil
			}
			if !v6.IsValid() {
				v6 = a
			}
		}
	}
	if v6.IsValid() {
		return v6, nil
	}
	return netip.Addr{}, fmt.Errorf("ssh %s: %w: no static address, and %s is not in the neighbour table of %s (has it booted and sent traffic?)", name, ErrNoAddress, nic.MAC, nic.Bridge)
}

// Change is one thing a switch to another system does to a guest.
type Change struct {
	Name string `json:"name"`
	// What is restart, stop, start or stale (changed but restartIfChanged is false).
	What string `json:"what"`
}

// Diff says what switching from the system whose manifest is cur to the one whose manifest
// is next does to the guests: a changed cfg restarts a running guest (or leaves it stale),
// a removed guest is stopped, an added autostart guest is started. running names the guests
// whose domains exist now.
func Diff(cur, next Manifest, running map[string]bool) []Change {
	var out []Change
	for _, n := range cur.Names() {
		c := cur.Guests[n]
		nx, ok := next.Guests[n]
		switch {
		case !ok:
			if running[n] {
				out = append(out, Change{n, "stop"})
			}
		case nx.ConfigFile != c.ConfigFile && running[n]:
			if nx.RestartIfChanged {
				out = append(out, Change{n, "restart"})
			} else {
				out = append(out, Change{n, "stale"})
			}
		case !running[n] && nx.Autostart && !c.Autostart:
			out = append(out, Change{n, "start"})
		}
	}
	for _, n := range next.Names() {
		if _, ok := cur.Guests[n]; !ok && next.Guests[n].Autostart {
			out = append(out, Change{n, "start"})
		}
	}
	return out
}

// PurgeArgv is the command that deletes a guest's volume, by where the module created it
// (assets/nixos/guests/default.nix, volumePath): a zvol, a thin LV, or a sparse file. Disks
// that are not volumes (existing targets, the store image, ISOs) are never deleted: ok is
// false for them.
func PurgeArgv(d ManifestDisk) (argv []string, ok bool) {
	if d.Volume == nil || d.Role != "disk" || !strings.HasPrefix(d.Target, "/") {
		return nil, false
	}
	switch {
	case strings.HasPrefix(d.Target, "/dev/zvol/"):
		return []string{"zfs", "destroy", strings.TrimPrefix(d.Target, "/dev/zvol/")}, true
	case strings.HasPrefix(d.Target, "/dev/"):
		return []string{"lvremove", "-y", strings.TrimPrefix(d.Target, "/dev/")}, true
	}
	return []string{"rm", "-f", "--", d.Target}, true
}

// Purge deletes the volumes of a removed guest (its entry in the manifest before removal),
// after the switch has stopped it. It returns the volumes deleted.
func Purge(ctx context.Context, r Runner, e Entry) ([]string, error) {
	var done []string
	for _, d := range e.Disks {
		argv, ok := PurgeArgv(d)
		if !ok {
			continue
		}
		if _, err := run(ctx, r, argv); err != nil {
			return done, fmt.Errorf("delete the volume %s: %w", d.Target, err)
		}
		done = append(done, d.Target)
	}
	return done, nil
}
