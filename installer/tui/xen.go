package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// xenForm asks for dom0's memory and vCPUs (defaults from the machine's size, with why)
// and the PCI devices to reserve for passthrough.
type xenForm struct {
	st     *state
	mem    string
	vcpus  string
	pass   []string
	serial string
}

// autoXen is the answers' xen section left to the machine: what dom0 would get.
func (f *xenForm) auto() (installer.Size, int) {
	x := f.st.a.Xen
	x.Dom0Memory, x.Dom0VCPUs = 0, 0
	return installer.Dom0Sizes(x, &f.st.r)
}

func (f *xenForm) load() {
	mem, vcpus := installer.Dom0Sizes(f.st.a.Xen, &f.st.r)
	f.mem, f.vcpus = mem.String(), strconv.Itoa(vcpus)
	f.pass = nil
	for _, p := range f.st.a.Xen.Passthrough {
		f.pass = append(f.pass, p.String())
	}
	f.serial = f.st.a.Boot.SerialConsole
}

// checkSerial validates a serial console by the installer's rules, as typed.
func (f *xenForm) checkSerial(s string) error {
	c := f.st.a
	c.Boot.SerialConsole = strings.TrimSpace(s)
	for _, p := range installer.Problems(c.Validate(&f.st.r)) {
		if p.Field == "boot.serial_console" {
			return p.Err
		}
	}
	return nil
}

func (f *xenForm) intro() string {
	return wrapText("dom0 is the Linux that runs Xen's tools and the guests' disk and network I/O; guests get the rest of the machine.", f.st.width())
}

func (f *xenForm) live(string) string { return "" }

func (f *xenForm) labels() map[string]string {
	return map[string]string{
		"xen": "Xen", "xen.dom0_memory": "dom0 memory", "xen.dom0_vcpus": "dom0 vCPUs",
		"xen.passthrough": "PCI devices to reserve for guests", "boot.serial_console": "Serial console",
	}
}

// passthroughCandidates are the PCI functions that can be hidden from dom0: not bridges.
func passthroughCandidates(r hwdetect.Report) []hwdetect.PCIDevice {
	var out []hwdetect.PCIDevice
	for _, d := range r.PCI {
		if strings.HasPrefix(d.Class, "0600") || strings.HasPrefix(d.Class, "0604") {
			continue
		}
		out = append(out, d)
	}
	return out
}

func pciLabel(d hwdetect.PCIDevice) string {
	name := strings.TrimSpace(d.VendorName + " " + d.DeviceName)
	if name == "" {
		name = d.ClassName
	} else if d.ClassName != "" {
		name = d.ClassName + ": " + name
	}
	group := "no IOMMU group"
	if d.IOMMUGroup >= 0 {
		group = fmt.Sprintf("group %d", d.IOMMUGroup)
	}
	return fmt.Sprintf("%s %s [%s]", d.Address, name, group)
}

func (f *xenForm) pages() []page {
	mem, vcpus := f.auto()
	total := installer.Size(f.st.r.Memory.TotalBytes)
	memWhy := fmt.Sprintf("Default %s: 1GiB plus 1/20 of the %s of memory, between 1 and 8GiB. A bare number is MiB.", mem, total.Human())
	if total == 0 {
		memWhy = fmt.Sprintf("Default %s: the machine's memory is unknown.", mem)
	}
	cpuWhy := fmt.Sprintf("Default %d: a quarter of the %d CPUs, between 1 and 8.", vcpus, f.st.r.CPU.Threads)
	return []page{
		{build: func() *huh.Group {
			return huh.NewGroup(
				f.st.textField("dom0 memory", memWhy, &f.mem, func(s string) error {
					z, err := parseSize(s, installer.MiB)
					if err != nil {
						return err
					}
					if z < 512*installer.MiB {
						return errors.New("at least 512MiB")
					}
					if total != 0 && z >= total {
						return fmt.Errorf("less than the machine's %s, or guests get nothing", total.Human())
					}
					return nil
				}, false),
				f.st.textField("dom0 vCPUs", cpuWhy, &f.vcpus, func(s string) error {
					v, err := strconv.Atoi(strings.TrimSpace(s))
					if err != nil || v < 1 {
						return errors.New("a number of CPUs, at least 1")
					}
					if t := f.st.r.CPU.Threads; t > 0 && v > t {
						return fmt.Errorf("the machine has %d CPUs", t)
					}
					return nil
				}, false),
				f.st.textField("Serial console", "Xen's and the kernel's console on a serial line or IPMI SOL, e.g. ttyS0,115200; empty for the screen only.",
					&f.serial, f.checkSerial, true),
			)
		}},
		{build: func() *huh.Group {
			devs := passthroughCandidates(f.st.r)
			if !f.st.r.IOMMU.Active || len(devs) == 0 {
				why := "No active IOMMU (VT-d/AMD-Vi is off in the firmware or absent): devices cannot be passed through. Turn it on and reinstall, or use xennix-setup later."
				if len(devs) == 0 {
					why = "No PCI device here can be passed through."
				}
				var list []string
				for _, d := range devs {
					list = append(list, "  "+pciLabel(d))
				}
				desc := why
				if len(list) > 0 {
					desc += "\n\n" + strings.Join(list, "\n")
				}
				return huh.NewGroup(huh.NewNote().Title("PCI passthrough: not available").Description(desc).Next(true).NextLabel("Continue"))
			}
			var opts []huh.Option[string]
			for _, d := range devs {
				opts = append(opts, huh.NewOption(pciLabel(d), d.Address))
			}
			return huh.NewGroup(huh.NewMultiSelect[string]().Title(picksTitle(f.st, "PCI devices to reserve for guests", f.pass)).
				Description("Hidden from dom0 at boot (xen-pciback) so that guests can own them. A device shares its IOMMU group with the others in it.").
				Options(opts...).Value(&f.pass).Height(8))
		}},
	}
}

func (f *xenForm) apply() error {
	x := &f.st.a.Xen
	mem, vcpus := f.auto()
	var errs []error
	// The machine's own defaults stay unset ("auto"), as in an answers file.
	if z, err := parseSize(f.mem, installer.MiB); err != nil {
		errs = append(errs, bad("xen.dom0_memory", err))
	} else if z != mem || x.Dom0Memory != 0 {
		x.Dom0Memory = z
	}
	if v, err := strconv.Atoi(strings.TrimSpace(f.vcpus)); err != nil {
		errs = append(errs, bad("xen.dom0_vcpus", fmt.Errorf("%q is not a number", f.vcpus)))
	} else if v != vcpus || x.Dom0VCPUs != 0 {
		x.Dom0VCPUs = v
	}
	x.Passthrough = nil
	for _, s := range f.pass {
		// The choices are the report's addresses, which parse.
		p, err := guests.ParsePCIAddress(s)
		if err != nil {
			errs = append(errs, bad("xen.passthrough", err))
			continue
		}
		x.Passthrough = append(x.Passthrough, p)
	}
	f.st.a.Boot.SerialConsole = strings.TrimSpace(f.serial)
	errs = append(errs, sectionProblems(f.st, "xen", "boot.serial_console")...)
	return errors.Join(errs...)
}
