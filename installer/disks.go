package installer

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/hwdetect"
)

// ErrDiskSelection is wrapped when the disks section does not pick out exactly the disks the
// layout needs on this machine.
var ErrDiskSelection = errors.New("disk selection")

// DiskCount is how many disks the storage layout uses: two for a mirror, else one.
func (a Answers) DiskCount() int {
	if a.Storage.Mirror {
		return 2
	}
	return 1
}

// selectDisks resolves the disks section against a hardware report: explicit ids must exist
// and not be the installer medium; a filter must match exactly the number of disks needed
// (after pick), or the error lists the candidates. The result is in the order given (ids) or
// the filter's order (pick, then size, then name).
func (a Answers) selectDisks(r hwdetect.Report) ([]hwdetect.Disk, error) {
	need := a.DiskCount()
	if len(a.Disks.IDs) > 0 {
		var out []hwdetect.Disk
		var errs []error
		for _, id := range a.Disks.IDs {
			d, ok := r.DiskByID(id)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: no such disk on this machine (disks: %s)", shownID(id), candidates(r.Disks)))
			case d.InstallerMedium:
				errs = append(errs, fmt.Errorf("%s is the installer medium (%s): it cannot be a target", shownID(id), d.Name))
			default:
				out = append(out, d)
			}
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("%w: %w", ErrDiskSelection, errors.Join(errs...))
		}
		return out, nil
	}
	f := a.Disks.Filter
	if f == nil {
		f = &DiskFilter{}
	}
	var match []hwdetect.Disk
	for _, d := range r.Disks {
		if f.Matches(d) {
			match = append(match, d)
		}
	}
	count := f.Count
	if count == 0 {
		count = need
	}
	if f.Pick != "" {
		sort.SliceStable(match, func(i, j int) bool {
			if f.Pick == "smallest" {
				return match[i].SizeBytes < match[j].SizeBytes
			}
			return match[i].SizeBytes > match[j].SizeBytes
		})
		if len(match) > count {
			// Disks of the same size as the last one taken tie with it: taking the one
			// the report lists first would erase a disk the file did not choose.
			last := match[count-1].SizeBytes
			var tied []hwdetect.Disk
			first := -1 // where the tie starts in the sorted list
			for i, d := range match {
				if d.SizeBytes == last {
					tied = append(tied, d)
					if first < 0 {
						first = i
					}
				}
			}
			if match[count].SizeBytes == last {
				return nil, fmt.Errorf("%w: pick: %s is ambiguous: %d disks of %s tie for %s; narrow the filter (model, serial, size) or give disks.ids; tied: %s",
					ErrDiskSelection, f.Pick, len(tied), Size(last).Human(), placeName(count-first), candidates(tied))
			}
			match = match[:count]
		}
	}
	if len(match) != count {
		return nil, fmt.Errorf("%w: the filter matches %d disk(s), the layout needs exactly %d; matching: %s; all disks: %s",
			ErrDiskSelection, len(match), count, candidates(match), candidates(r.Disks))
	}
	return match, nil
}

// placeName says which places of a pick the tied disks compete for.
func placeName(free int) string {
	if free > 1 {
		return fmt.Sprintf("the last %d places", free)
	}
	return "the last place"
}

// shownID is a disk id from the answers as an error shows it: whole when it looks like a
// by-id path, else quoted and cut.
func shownID(id string) string {
	if disko.IsDiskID(id) && runeIndex(id, maxShownRunes) < 0 {
		return id
	}
	return quoteCut(id, maxQuotedRunes)
}

func candidates(ds []hwdetect.Disk) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		id := d.ByID
		if id == "" {
			id = "/dev/" + d.Name
		}
		note := ""
		if d.InstallerMedium {
			note = ", installer medium"
		}
		parts[i] = fmt.Sprintf("%s (%s %s %s%s)", id, Size(d.SizeBytes).Human(), d.Transport, strings.TrimSpace(d.Model), note)
	}
	return strings.Join(parts, "; ")
}

// Matches reports whether a disk passes the filter. The installer medium, read-only disks,
// disks without a stable id and (unless asked for) removable disks never match: a filter
// chooses disks to erase, and a disk known only by its kernel name may be another one at the
// next boot, or when disko runs.
func (f DiskFilter) Matches(d hwdetect.Disk) bool {
	if d.InstallerMedium || d.ReadOnly {
		return false
	}
	if _, ok := d.StableID(); !ok {
		return false
	}
	if d.Removable && (f.Removable == nil || !*f.Removable) {
		return false
	}
	if f.MinSize != 0 && d.SizeBytes < uint64(f.MinSize) {
		return false
	}
	if f.MaxSize != 0 && d.SizeBytes > uint64(f.MaxSize) {
		return false
	}
	glob := func(pattern, s string) bool {
		if pattern == "" {
			return true
		}
		ok, err := path.Match(pattern, strings.TrimSpace(s))
		return err == nil && ok
	}
	if !glob(f.Model, d.Model) || !glob(f.Serial, d.Serial) || !glob(f.Vendor, d.Vendor) {
		return false
	}
	switch f.Type {
	case "nvme":
		return d.Transport == hwdetect.TransportNVMe
	case "ssd":
		return !d.Rotational && d.Transport != hwdetect.TransportNVMe
	case "hdd":
		return d.Rotational
	}
	return true
}
