package hwdetect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// ErrNoSysfs is returned by Scan when root has neither a sys nor a proc directory: it is
// not a Linux system (or not mounted yet), and a report would only be warnings.
var ErrNoSysfs = errors.New("no sysfs or procfs under root")

// ScanOptions change how ScanWith gathers what sysfs cannot tell.
type ScanOptions struct {
	// XLInfo returns the output of `xl info`. It is called only when the scanned system
	// is a Xen dom0, whose IOMMU, CPU flags and memory are hidden from it. When nil, ScanWith
	// runs `xl info` (with LC_ALL=C) if root is "/", and otherwise goes without.
	XLInfo func() ([]byte, error)
	// PCIIDs is the path of a pci.ids database. When empty: $PCIDB_PATH, then
	// <root>/usr/share/hwdata/pci.ids, <root>/usr/share/misc/pci.ids. "-" means none:
	// PCI devices keep numeric IDs only.
	PCIIDs string
}

// Scan reads the hardware of the system mounted at root ("/" in production) from
// <root>/sys, <root>/proc, <root>/run/udev and <root>/dev/disk/by-id. Unreadable or odd
// files become warnings in the Report; Scan fails only when root is not a Linux system.
func Scan(root string) (Report, error) {
	return ScanWith(root, ScanOptions{})
}

// ScanWith is Scan with options.
func ScanWith(root string, opts ScanOptions) (rep Report, err error) {
	st, err := os.Stat(root)
	if err != nil {
		return Report{}, fmt.Errorf("scan hardware: %w", err)
	}
	if !st.IsDir() {
		return Report{}, fmt.Errorf("scan hardware: %s is not a directory", root)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return Report{}, fmt.Errorf("scan hardware: %w", err)
	}
	s := &scanner{root: abs, opts: opts, seen: map[string]bool{}}
	if abs == "/" {
		s.readTable = readTableFromDevice
	}
	if !s.isDir("sys") && !s.isDir("proc") {
		return Report{}, fmt.Errorf("scan hardware in %s: %w", root, ErrNoSysfs)
	}
	// Scan must never bring the installer down: a bug in a parser on a machine nobody
	// foresaw becomes a warning, and the rest of the report is still useful.
	defer func() {
		if p := recover(); p != nil {
			rep = s.finish(rep)
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("internal error while scanning hardware (please report): %v", p))
		}
	}()
	rep = s.scan()
	return rep, nil
}

// scanner carries the root and collects the problems met on the way.
type scanner struct {
	root     string
	opts     ScanOptions
	problems []string
	seen     map[string]bool
	cpuinfo  cpuInfo
	mounts   []mountEntry
	xlRaw    []byte
	// readTable reads a partition table from a device node; set only when scanning "/".
	readTable func(dev string) (string, error)
}

func (s *scanner) scan() Report {
	rep := Report{Version: ReportVersion}
	rep.Firmware = s.firmware()
	s.cpuinfo = s.readCPUInfo()
	rep.Hypervisor, rep.HypervisorVendor = s.hypervisor()
	if rep.Hypervisor == HypervisorXenDom0 {
		rep.Xen = s.xlInfo()
	}
	rep.CPU = s.cpu(rep.Xen)
	rep.IOMMU = s.iommu(rep.Xen)
	rep.Memory = s.memory(rep.Xen)
	rep.Disks = s.disks()
	rep.NICs = s.nics()
	rep.PCI = s.pci()
	return s.finish(rep)
}

// finish adds the operator warnings and normalises empty lists, so that JSON always has
// arrays, never null.
func (s *scanner) finish(rep Report) Report {
	if rep.Version == 0 {
		rep.Version = ReportVersion
	}
	if rep.Hypervisor == "" {
		rep.Hypervisor = HypervisorNone
	}
	if rep.Firmware.Mode == "" {
		rep.Firmware.Mode = FirmwareBIOS
	}
	if rep.Disks == nil {
		rep.Disks = []Disk{}
	}
	if rep.NICs == nil {
		rep.NICs = []NIC{}
	}
	if rep.PCI == nil {
		rep.PCI = []PCIDevice{}
	}
	if rep.IOMMU.Kernel == nil {
		rep.IOMMU.Kernel = []string{}
	}
	for i := range rep.Disks {
		d := &rep.Disks[i]
		d.ByIDLinks = nonNil(d.ByIDLinks)
		d.MountPoints = nonNil(d.MountPoints)
		d.Holders = nonNil(d.Holders)
		if d.Partitions == nil {
			d.Partitions = []Partition{}
		}
		for j := range d.Partitions {
			d.Partitions[j].MountPoints = nonNil(d.Partitions[j].MountPoints)
		}
	}
	rep.Warnings = append(operatorWarnings(rep), s.problems...)
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	return rep
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// maxFileSize bounds what is read from one file; /proc/cpuinfo of a 1,024-thread machine
// is about 1.5 MB.
const maxFileSize = 16 << 20

// abs returns the real path of rel (a path inside root, with or without leading slash).
func (s *scanner) abs(rel string) string {
	return filepath.Join(s.root, rel)
}

// show returns the path as the operator knows it on the scanned system.
func show(rel string) string {
	return "/" + strings.TrimPrefix(filepath.ToSlash(rel), "/")
}

// problem records a warning about a file once.
func (s *scanner) problem(rel, format string, args ...any) {
	w := show(rel) + ": " + fmt.Sprintf(format, args...)
	if s.seen[w] {
		return
	}
	s.seen[w] = true
	s.problems = append(s.problems, w)
}

// note records a warning that is not about one file.
func (s *scanner) note(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if s.seen[w] {
		return
	}
	s.seen[w] = true
	s.problems = append(s.problems, w)
}

// errText is the error without the path (which may contain the fixture root).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EISDIR):
		return "is a directory, want a file"
	case errors.Is(err, syscall.ENOTDIR):
		return "not a directory"
	case errors.Is(err, syscall.ELOOP):
		return "too many levels of symbolic links"
	}
	return err.Error()
}

func (s *scanner) exists(rel string) bool {
	_, err := os.Stat(s.abs(rel))
	return err == nil
}

func (s *scanner) isDir(rel string) bool {
	st, err := os.Stat(s.abs(rel))
	return err == nil && st.IsDir()
}

// Optional says whether a missing file is normal (true) or worth a warning (false).
const (
	required = false
	optional = true
)

// readFile returns a file's content. A missing optional file is silent; any other
// problem is recorded and reported as ok=false. Only regular files are read: a FIFO or
// device in a strange tree must not block the scan.
func (s *scanner) readFile(rel string, opt bool) ([]byte, bool) {
	p := s.abs(rel)
	st, err := os.Stat(p)
	if err != nil {
		if !(opt && errors.Is(err, fs.ErrNotExist)) {
			s.problem(rel, "%s", errText(err))
		}
		return nil, false
	}
	if st.IsDir() {
		s.problem(rel, "is a directory, want a file")
		return nil, false
	}
	if !st.Mode().IsRegular() {
		s.problem(rel, "not a regular file")
		return nil, false
	}
	f, err := os.Open(p)
	if err != nil {
		s.problem(rel, "%s", errText(err))
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize))
	if err != nil {
		// EINVAL is what sysfs answers for attributes that have no value now, such as
		// carrier and speed of an interface that is down; callers ask with opt then.
		if opt && errors.Is(err, syscall.EINVAL) {
			return nil, false
		}
		s.problem(rel, "%s", errText(err))
		return nil, false
	}
	return b, true
}

// readString returns a one-value sysfs attribute, trimmed. Content that is not
// printable text is recorded as a problem and dropped.
func (s *scanner) readString(rel string, opt bool) (string, bool) {
	b, ok := s.readFile(rel, opt)
	if !ok {
		return "", false
	}
	v := strings.TrimSpace(string(b))
	if v == "" && !opt {
		s.problem(rel, "empty")
		return "", false
	}
	if !printable(v) {
		s.problem(rel, "unexpected content %s", quoteShort(v))
		return "", false
	}
	return v, true
}

// readText is readString for optional attributes that are legitimately empty, such as a
// disk's model on a device that reports none.
func (s *scanner) readText(rel string) string {
	v, _ := s.readString(rel, optional)
	return v
}

// readUint reads a decimal (or 0x-prefixed hex) unsigned number.
func (s *scanner) readUint(rel string, opt bool) (uint64, bool) {
	v, ok := s.readString(rel, opt)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		s.problem(rel, "not a number: %s", quoteShort(v))
		return 0, false
	}
	return n, true
}

// readInt reads a decimal signed number.
func (s *scanner) readInt(rel string, opt bool) (int64, bool) {
	v, ok := s.readString(rel, opt)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		s.problem(rel, "not a number: %s", quoteShort(v))
		return 0, false
	}
	return n, true
}

// readFlag reads a 0/1 sysfs attribute.
func (s *scanner) readFlag(rel string, opt bool) bool {
	v, ok := s.readString(rel, opt)
	if !ok {
		return false
	}
	switch v {
	case "1":
		return true
	case "0":
		return false
	}
	s.problem(rel, "want 0 or 1, got %s", quoteShort(v))
	return false
}

// readDir lists a directory's entry names, sorted. A missing optional directory is
// silent.
func (s *scanner) readDir(rel string, opt bool) []string {
	ents, err := os.ReadDir(s.abs(rel))
	if err != nil {
		if !(opt && errors.Is(err, fs.ErrNotExist)) {
			s.problem(rel, "%s", errText(err))
		}
		return nil
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// linkBase returns the last element of a symlink's target (a driver's name, an IOMMU
// group's number), "" when rel is not a symlink.
func (s *scanner) linkBase(rel string) string {
	t, err := os.Readlink(s.abs(rel))
	if err != nil {
		var pe *fs.PathError
		if !errors.Is(err, fs.ErrNotExist) && !(errors.As(err, &pe) && errors.Is(pe.Err, syscall.EINVAL)) {
			s.problem(rel, "%s", errText(err))
		}
		return ""
	}
	return filepath.Base(t)
}

// resolve follows the symlinks of rel and returns the resulting path relative to root.
// sysfs links are relative (../devices/...), so they resolve inside a fixture tree as
// they do on "/". A link leading out of root is reported and not followed.
func (s *scanner) resolve(rel string) (string, bool) {
	p, err := filepath.EvalSymlinks(s.abs(rel))
	if err != nil {
		s.problem(rel, "%s", errText(err))
		return "", false
	}
	r, err := filepath.Rel(s.root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		s.problem(rel, "link leads outside %s", s.root)
		return "", false
	}
	return r, true
}

// printable reports whether v is valid UTF-8 without control characters.
func printable(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\t' {
			return false
		}
	}
	return true
}

// quoteShort quotes v for a warning, cut to 40 bytes.
func quoteShort(v string) string {
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return strconv.QuoteToASCII(v)
}
