package hwdetect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The parsers in this file are pure functions of a file's bytes, so that they can be
// fuzzed: they must return an error for nonsense, never panic.

// parseMemTotal returns MemTotal of /proc/meminfo in bytes. The kernel prints it in
// kibibytes despite the "kB" (Documentation/filesystems/proc.rst, "meminfo").
func parseMemTotal(b []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(key) != "MemTotal" {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			return 0, errors.New("MemTotal has no value")
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("MemTotal %q is not a number", f[0])
		}
		if len(f) > 1 && f[1] != "kB" {
			return 0, fmt.Errorf("MemTotal unit %q, want kB", f[1])
		}
		if n > (1<<64-1)/1024 {
			return 0, fmt.Errorf("MemTotal %d kB is too large", n)
		}
		return n * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no MemTotal line")
}

// cpuInfo is what /proc/cpuinfo says (arch/x86/kernel/cpu/proc.c).
type cpuInfo struct {
	Vendor   string
	Model    string
	Flags    map[string]bool
	VMXFlags map[string]bool
	// Logical counts "processor" blocks; Packages and Cores count distinct
	// "physical id" and ("physical id", "core id") pairs (0 when the lines are absent,
	// as in some VMs and in a Xen PV dom0).
	Logical  int
	Packages int
	Cores    int
}

// parseCPUInfo parses x86 /proc/cpuinfo. Since Linux 5.8 the VMX features (ept) are on
// their own "vmx flags" line (commit 8f8ac0a "x86/cpu: Print VMX flags in
// /proc/cpuinfo"); older kernels put ept among the flags.
func parseCPUInfo(b []byte) (cpuInfo, error) {
	ci := cpuInfo{Flags: map[string]bool{}, VMXFlags: map[string]bool{}}
	pkgs := map[string]bool{}
	cores := map[string]bool{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	first := true
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		switch key {
		case "processor":
			ci.Logical++
			if ci.Logical > 1 {
				first = false
			}
		case "vendor_id":
			if ci.Vendor == "" {
				ci.Vendor = val
			}
		case "model name":
			if ci.Model == "" {
				ci.Model = strings.Join(strings.Fields(val), " ")
			}
		case "flags":
			// Flags can differ between CPUs (a firmware that enabled VMX on one socket
			// only): keep what the first CPU says, which is what Xen's BSP sees.
			if first {
				for _, f := range strings.Fields(val) {
					ci.Flags[f] = true
				}
			}
		case "vmx flags":
			if first {
				for _, f := range strings.Fields(val) {
					ci.VMXFlags[f] = true
				}
			}
		case "physical id":
			pkg = val
			pkgs[val] = true
		case "core id":
			cores[pkg+"/"+val] = true
		}
	}
	if err := sc.Err(); err != nil {
		return ci, err
	}
	if ci.Logical == 0 {
		return ci, errors.New("no processor entries")
	}
	ci.Packages = len(pkgs)
	ci.Cores = len(cores)
	return ci, nil
}

// udevRecord is a udev database entry, /run/udev/data/b<major>:<minor>. The format is
// systemd's (src/libsystemd/sd-device/device-private.c, device_read_db_internal): one
// "<type>:<value>" per line; S: a symlink relative to /dev, E: a property KEY=value.
type udevRecord struct {
	Env   map[string]string
	Links []string
}

func parseUdevDB(b []byte) (udevRecord, error) {
	rec := udevRecord{Env: map[string]string{}}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return rec, fmt.Errorf("line %d: %s is not <type>:<value>", i+1, quoteShort(line))
		}
		val := line[2:]
		switch line[0] {
		case 'S':
			rec.Links = append(rec.Links, val)
		case 'E':
			k, v, ok := strings.Cut(val, "=")
			if !ok || k == "" {
				return rec, fmt.Errorf("line %d: property %s has no KEY=", i+1, quoteShort(val))
			}
			rec.Env[k] = v
		}
	}
	return rec, nil
}

// udevDecode undoes udev's \xNN escaping of ID_MODEL_ENC, ID_FS_LABEL_ENC and
// ID_PART_ENTRY_NAME (src/shared/device-nodes.c, encode_devnode_name) and trims the
// padding ATA and SCSI identify strings carry.
func udevDecode(s string) string {
	if !strings.Contains(s, `\x`) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	out := strings.TrimSpace(b.String())
	if !printable(out) {
		return strings.TrimSpace(s)
	}
	return out
}

// mountEntry is one line of /proc/self/mountinfo (Documentation/filesystems/proc.rst,
// "3.5 /proc/<pid>/mountinfo").
type mountEntry struct {
	MajMin     string
	Root       string
	MountPoint string
	FSType     string
	Source     string
}

func parseMountinfo(b []byte) ([]mountEntry, error) {
	var out []mountEntry
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for j := 6; j < len(f); j++ {
			if f[j] == "-" {
				sep = j
				break
			}
		}
		if sep < 0 || sep+1 >= len(f) {
			return out, fmt.Errorf("line %d: too few fields", i+1)
		}
		if !strings.Contains(f[2], ":") {
			return out, fmt.Errorf("line %d: %s is not major:minor", i+1, quoteShort(f[2]))
		}
		e := mountEntry{
			MajMin:     f[2],
			Root:       unescapeOctal(f[3]),
			MountPoint: unescapeOctal(f[4]),
			FSType:     f[sep+1],
		}
		if sep+2 < len(f) {
			e.Source = unescapeOctal(f[sep+2])
		}
		out = append(out, e)
	}
	return out, nil
}

// unescapeOctal undoes the \040-style escaping of spaces, tabs, newlines and
// backslashes in mount paths (fs/proc_namespace.c, mangle).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseSwaps returns the device or file names in /proc/swaps (mm/swapfile.c,
// swap_show), with the same escaping as mountinfo.
func parseSwaps(b []byte) ([]string, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "Filename") {
		return nil, errors.New("no Filename header")
	}
	var out []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if len(f) < 5 {
			return out, fmt.Errorf("line %s: too few fields", quoteShort(l))
		}
		out = append(out, unescapeOctal(f[0]))
	}
	return out, nil
}

// parseXLInfo parses `xl info` (tools/xl/xl_info.c: "key<spaces>: value" lines; an
// over-long value continues on lines that start with spaces).
func parseXLInfo(b []byte) (XenInfo, error) {
	kv := map[string]string{}
	last := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if last != "" {
				kv[last] += " " + strings.TrimSpace(line)
			}
			continue
		}
		last = strings.TrimSpace(k)
		kv[last] = strings.TrimSpace(v)
	}
	if kv["xen_version"] == "" && kv["virt_caps"] == "" {
		return XenInfo{}, errors.New("neither xen_version nor virt_caps: not xl info output")
	}
	xi := XenInfo{
		Version:     kv["xen_version"],
		Caps:        kv["xen_caps"],
		VirtCaps:    kv["virt_caps"],
		CommandLine: kv["xen_commandline"],
	}
	var errs []error
	num := func(key string) uint64 {
		v, ok := kv[key]
		if !ok {
			return 0
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s is not a number", key, quoteShort(v)))
		}
		return n
	}
	xi.TotalMemoryMiB = num("total_memory")
	xi.FreeMemoryMiB = num("free_memory")
	xi.NrCPUs = int(min(num("nr_cpus"), 1<<20))
	return xi, errors.Join(errs...)
}

// xlTopology returns sockets and cores from `xl info` values.
func xlTopology(b []byte) (sockets, cores int) {
	kv := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
			kv[strings.TrimSpace(k)] = n
		}
	}
	cpus, cps, tpc := kv["nr_cpus"], kv["cores_per_socket"], kv["threads_per_core"]
	if cpus == 0 || cps == 0 || tpc == 0 || cpus%(cps*tpc) != 0 {
		return 0, 0
	}
	return int(cpus / (cps * tpc)), int(cpus / tpc)
}

// parseEFIBool reads a one-byte boolean EFI variable from efivarfs: four bytes of
// attributes, then the value (Documentation/filesystems/efivarfs.rst).
func parseEFIBool(b []byte) (bool, error) {
	if len(b) != 5 {
		return false, fmt.Errorf("%d bytes, want 4 attribute bytes and 1 value byte", len(b))
	}
	switch b[4] {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("value %d, want 0 or 1", b[4])
}

// pciIDs holds the names of the vendors and devices asked for.
type pciIDs struct {
	Vendors map[string]string // "8086"
	Devices map[string]string // "8086:1563"
}

// parsePCIIDs reads a pci.ids database (https://pci-ids.ucw.cz, format described at the
// top of the file): "vvvv  Vendor" lines, "\tdddd  Device" lines under them, and deeper
// levels (subsystems) and classes ("C xx") that are skipped. Only entries whose vendor
// is in want are kept, so the 1.5 MB file costs no memory.
func parsePCIIDs(r io.Reader, want map[string]bool) (pciIDs, error) {
	ids := pciIDs{Vendors: map[string]string{}, Devices: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<16)
	vendor := ""
	for sc.Scan() {
		// Bytes, not Text: most of the 40,000 lines are skipped, and should cost no
		// allocation.
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] == 'C' && len(line) > 1 && line[1] == ' ' {
			// The class list comes last; nothing after it is a vendor.
			break
		}
		if line[0] != '\t' {
			vendor = ""
			if len(line) >= 4 && want[strings.ToLower(string(line[:4]))] {
				if id, name, ok := splitPCIID(string(line)); ok {
					vendor = id
					ids.Vendors[id] = name
				}
			}
			continue
		}
		if vendor == "" || (len(line) > 1 && line[1] == '\t') {
			continue
		}
		if id, name, ok := splitPCIID(string(line[1:])); ok {
			ids.Devices[vendor+":"+id] = name
		}
	}
	return ids, sc.Err()
}

func splitPCIID(line string) (id, name string, ok bool) {
	if len(line) < 6 || line[4] != ' ' {
		return "", "", false
	}
	id = strings.ToLower(line[:4])
	if _, err := strconv.ParseUint(id, 16, 16); err != nil {
		return "", "", false
	}
	name = strings.TrimSpace(line[5:])
	if !printable(name) {
		return "", "", false
	}
	return id, name, true
}
