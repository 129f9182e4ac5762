package guests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Runner runs one external command and returns its combined output: the same seam as the
// installer's (installer.Runner), declared here so that this package imports none of the
// project. Every xl, systemctl, nix and ssh call of this package goes through it.
type Runner interface {
	Run(ctx context.Context, argv []string) ([]byte, error)
}

// run runs argv through r; a failure carries the last lines of the command's output.
func run(ctx context.Context, r Runner, argv []string) ([]byte, error) {
	out, err := r.Run(ctx, argv)
	if err != nil {
		if t := strings.TrimSpace(string(out)); t != "" {
			lines := strings.Split(t, "\n")
			if len(lines) > 5 {
				lines = lines[len(lines)-5:]
			}
			return out, fmt.Errorf("%w: %s", err, strings.Join(lines, "\n"))
		}
	}
	return out, err
}

// Tier says who owns a guest.
type Tier string

// Tiers: declared by the user in Nix (read-only to the tool), managed by the tool in
// xennix/guests.nix, or a domain Xen runs that no configuration declares (listed, never
// touched).
const (
	TierDeclared  Tier = "declared"
	TierTool      Tier = "tool"
	TierUnmanaged Tier = "unmanaged"
)

// Config states of a guest: whether the running domain was created from the cfg the
// current system declares.
const (
	ConfigCurrent   = "current"
	ConfigStale     = "stale"
	ConfigNotBooted = "not booted"
	// ConfigForeign is a declared guest whose name a domain holds that its unit did not
	// create (another UUID): the unit refuses to start beside it.
	ConfigForeign = "name taken"
)

// Status is one row of `xennix guest list`.
type Status struct {
	Name string `json:"name"`
	Tier Tier   `json:"tier"`
	Kind Kind   `json:"kind,omitempty"`
	// State is running, paused, shutdown, crashed, dying (from xl), or for a guest without
	// a domain: stopped, starting, stopping or failed (from its unit).
	State string `json:"state"`
	// Config is current, stale, not booted or name taken; "" for unmanaged domains.
	Config string `json:"config,omitempty"`
	// DomID is the domain's id while it exists.
	DomID     *int   `json:"domid"`
	MemoryMiB int    `json:"memory"`
	VCPUs     int    `json:"vcpus"`
	IPv4      string `json:"ipv4,omitempty"`
	MAC       string `json:"mac,omitempty"`
	Unit      string `json:"unit,omitempty"`
	// UnitState is the unit's ActiveState (active, inactive, failed, ...).
	UnitState string `json:"unit_state,omitempty"`
}

// Domain is one domain as xl reports it.
type Domain struct {
	ID        int
	Name      string
	UUID      string
	MemoryMiB int
	VCPUs     int
	State     string
	MACs      []string
}

// Domains asks xl for the running domains: `xl list` for their state, memory and vCPUs,
// and `xl list -l` (JSON) for their UUIDs and MACs. Domain-0 is left out.
func Domains(ctx context.Context, r Runner) (map[string]Domain, error) {
	out, err := run(ctx, r, []string{"xl", "list"})
	if err != nil {
		return nil, fmt.Errorf("list the domains: %w", err)
	}
	doms, err := parseXLList(out)
	if err != nil {
		return nil, err
	}
	long, err := run(ctx, r, []string{"xl", "list", "-l"})
	if err != nil {
		return nil, fmt.Errorf("list the domains: %w", err)
	}
	if err := addXLLong(doms, long); err != nil {
		return nil, err
	}
	delete(doms, "Domain-0")
	// A domain being torn down has lost its name ("(null)", state --ps--, seen after `xl
	// shutdown` on Xen 4.17): it is nobody's guest any more.
	delete(doms, "(null)")
	return doms, nil
}

// parseXLList reads `xl list`: a header, then "Name ID Mem VCPUs State Time(s)" rows.
func parseXLList(out []byte) (map[string]Domain, error) {
	doms := map[string]Domain{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// libxl's warnings (stderr, in the combined output) may come before the table.
	for len(lines) > 0 && !strings.HasPrefix(strings.TrimSpace(lines[0]), "Name ") && strings.HasPrefix(lines[0], "libxl: ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "Name") {
		return nil, fmt.Errorf("read xl list: no header in %q", firstLine(out))
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 {
			return nil, fmt.Errorf("read xl list: row %q has %d columns, want 6", l, len(f))
		}
		id, err1 := strconv.Atoi(f[1])
		mem, err2 := strconv.Atoi(f[2])
		vcpus, err3 := strconv.Atoi(f[3])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("read xl list: row %q: %w", l, err)
		}
		doms[f[0]] = Domain{ID: id, Name: f[0], MemoryMiB: mem, VCPUs: vcpus, State: domState(f[4])}
	}
	return doms, nil
}

// domState turns xl's state flags (r, b, p, s, c, d: xl(1) "list") into a word; a blocked
// domain is idle, which is running to an operator.
func domState(flags string) string {
	for _, f := range []struct {
		c    byte
		word string
	}{{'c', "crashed"}, {'d', "dying"}, {'s', "shutdown"}, {'p', "paused"}} {
		if strings.IndexByte(flags, f.c) >= 0 {
			return f.word
		}
	}
	return "running"
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// xlLong is the part of `xl list -l`'s JSON (libxl_domain_config) that is read here.
type xlLong struct {
	DomID  int `json:"domid"`
	Config struct {
		CInfo struct {
			Name string `json:"name"`
			UUID string `json:"uuid"`
		} `json:"c_info"`
		NICs []struct {
			MAC string `json:"mac"`
		} `json:"nics"`
	} `json:"config"`
}

func addXLLong(doms map[string]Domain, out []byte) error {
	var long []xlLong
	// The JSON array starts a line; libxl's warnings may come before it.
	if i := bytes.Index(out, []byte("\n[")); !bytes.HasPrefix(bytes.TrimSpace(out), []byte("[")) && i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal(out, &long); err != nil {
		return fmt.Errorf("read xl list -l: %w", err)
	}
	for _, l := range long {
		d, ok := doms[l.Config.CInfo.Name]
		if !ok {
			continue // gone between the two calls
		}
		d.UUID = l.Config.CInfo.UUID
		for _, n := range l.Config.NICs {
			d.MACs = append(d.MACs, n.MAC)
		}
		doms[d.Name] = d
	}
	return nil
}

// UnitStates asks systemd for the ActiveState of units, in one call.
func UnitStates(ctx context.Context, r Runner, units []string) (map[string]string, error) {
	states := map[string]string{}
	if len(units) == 0 {
		return states, nil
	}
	argv := append([]string{"systemctl", "show", "--property=Id,ActiveState", "--"}, units...)
	out, err := run(ctx, r, argv)
	if err != nil {
		return nil, fmt.Errorf("ask systemd for the guests' units: %w", err)
	}
	// One block of Key=Value lines per unit, in the order asked, separated by blank lines.
	for i, block := range strings.Split(strings.TrimSpace(string(out)), "\n\n") {
		var id, state string
		for _, l := range strings.Split(block, "\n") {
			k, v, _ := strings.Cut(l, "=")
			switch k {
			case "Id":
				id = v
			case "ActiveState":
				state = v
			}
		}
		if id == "" && i < len(units) {
			id = units[i]
		}
		states[id] = state
	}
	return states, nil
}

// List computes the state of every guest: those of the manifest (tool-managed when
// managed says so, else declared) and the unmanaged domains xl runs beside them, sorted by
// tier, then name. The booted markers are read under root.
func List(ctx context.Context, r Runner, root string, m Manifest, managed func(name string) bool) ([]Status, error) {
	doms, err := Domains(ctx, r)
	if err != nil {
		return nil, err
	}
	var units []string
	for _, n := range m.Names() {
		units = append(units, unitOf(n, m.Guests[n]))
	}
	states, err := UnitStates(ctx, r, units)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, n := range m.Names() {
		e := m.Guests[n]
		s := Status{Name: n, Tier: TierDeclared, Kind: e.Kind, Unit: unitOf(n, e), MemoryMiB: e.Memory, VCPUs: e.VCPUs}
		if managed != nil && managed(n) {
			s.Tier = TierTool
		}
		s.UnitState = states[s.Unit]
		if len(e.Interfaces) > 0 {
			s.MAC = e.Interfaces[0].MAC
			if p := e.Interfaces[0].IPv4; p != nil {
				s.IPv4 = *p
			}
		}
		d, running := doms[n]
		switch {
		case running && e.UUID != "" && d.UUID != "" && !strings.EqualFold(d.UUID, e.UUID):
			s.State, s.Config = d.State, ConfigForeign
			s.DomID = &d.ID
		case running:
			s.State, s.Config = d.State, bootedConfig(root, e)
			s.DomID = &d.ID
			s.MemoryMiB, s.VCPUs = d.MemoryMiB, d.VCPUs
		default:
			s.Config = ConfigNotBooted
			switch s.UnitState {
			case "failed":
				s.State = "failed"
			case "activating":
				s.State = "starting"
			case "deactivating":
				s.State = "stopping"
			default:
				s.State = "stopped"
			}
		}
		out = append(out, s)
	}
	var unmanaged []string
	for n := range doms {
		if _, ok := m.Guests[n]; !ok {
			unmanaged = append(unmanaged, n)
		}
	}
	sort.Strings(unmanaged)
	for _, n := range unmanaged {
		d := doms[n]
		s := Status{Name: n, Tier: TierUnmanaged, State: d.State, DomID: &d.ID, MemoryMiB: d.MemoryMiB, VCPUs: d.VCPUs}
		if len(d.MACs) > 0 {
			s.MAC = d.MACs[0]
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return tierRank(out[i].Tier) < tierRank(out[j].Tier) })
	return out, nil
}

func tierRank(t Tier) int {
	switch t {
	case TierTool:
		return 0
	case TierDeclared:
		return 1
	}
	return 2
}

func unitOf(name string, e Entry) string {
	if e.Unit != "" {
		return e.Unit
	}
	return UnitName(name)
}

// bootedConfig compares the cfg the running domain was created from (the unit's marker
// link) with the cfg the current system declares.
func bootedConfig(root string, e Entry) string {
	if e.Booted == "" {
		return ConfigNotBooted
	}
	target, err := os.Readlink(filepath.Join(root, e.Booted))
	if err != nil {
		return ConfigNotBooted
	}
	if target == e.ConfigFile {
		return ConfigCurrent
	}
	return ConfigStale
}

// Table formats statuses as `xennix guest list` prints them.
func Table(ss []Status) string {
	rows := [][]string{{"NAME", "TIER", "KIND", "STATE", "CONFIG", "MEMORY", "VCPUS", "IPV4", "MAC"}}
	for _, s := range ss {
		cfg := s.Config
		if cfg == "" {
			cfg = "-"
		}
		kind := string(s.Kind)
		if kind == "" {
			kind = "-"
		}
		ip := s.IPv4
		if p, err := netip.ParsePrefix(ip); err == nil {
			ip = p.Addr().String()
		}
		rows = append(rows, []string{s.Name, string(s.Tier), kind, s.State, cfg,
			strconv.Itoa(s.MemoryMiB) + "M", strconv.Itoa(s.VCPUs), dash(ip), dash(s.MAC)})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", width[i]-len(c)+2))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
