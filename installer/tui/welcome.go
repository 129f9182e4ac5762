package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// welcome shows what the machine is and what will be asked.
type welcome struct {
	st   *state
	w, h int
}

func newWelcome(st *state) *welcome { return &welcome{st: st, w: 80, h: 21} }

func (s *welcome) Enter() tea.Cmd           { return nil }
func (s *welcome) SetSize(w, h int)         { s.w, s.h = w, h }
func (s *welcome) ShortHelp() []key.Binding { return []key.Binding{s.st.keys.Next} }

func (s *welcome) Update(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, s.st.keys.Next) {
		return s, next
	}
	return s, nil
}

func (s *welcome) View() string {
	st := s.st.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Install XenNix: NixOS as a Xen dom0 on this machine") + "\n\n")
	for _, l := range hardwareLines(s.st.r) {
		b.WriteString(hang("  "+st.Label.Render(fmt.Sprintf("%-9s", l[0]))+" ", l[1], s.w) + "\n")
	}
	if ws := plainWarnings(s.st.r); len(ws) > 0 {
		b.WriteString("\n")
		for _, w := range ws {
			b.WriteString(hang(st.Warn.Render("  ! "), w, s.w) + "\n")
		}
	}
	b.WriteString("\n" + wrapText("You will choose the disks, the storage layout, impermanence, the network, Xen's share of the machine, and the host name and logins. Nothing is written to any disk until you confirm the disks by name on the review screen.", s.w) + "\n")
	return b.String()
}

// hardwareLines is the machine in a few labelled lines.
func hardwareLines(r hwdetect.Report) [][2]string {
	fw := strings.ToUpper(r.Firmware.Mode)
	if r.Firmware.Mode == hwdetect.FirmwareUEFI {
		if r.Firmware.SecureBoot {
			fw += ", Secure Boot ON"
		} else {
			fw += ", Secure Boot off"
		}
	} else {
		fw += " (legacy): boots with Limine"
	}
	virt := "no VT-x/AMD-V"
	switch r.CPU.Virtualization {
	case "vmx":
		virt = "VT-x"
	case "svm":
		virt = "AMD-V"
	case "hvm":
		virt = "HVM"
	}
	if r.CPU.SLAT != "" {
		virt += "+" + strings.ToUpper(r.CPU.SLAT)
	}
	cpu := fmt.Sprintf("%s; %d cores, %d threads; %s", strings.TrimSpace(r.CPU.Model), r.CPU.Cores, r.CPU.Threads, virt)
	iommu := "none: no PCI passthrough"
	if r.IOMMU.Active {
		iommu = fmt.Sprintf("active (%s, %d groups): PCI passthrough possible", strings.Join(r.IOMMU.Kernel, ", "), r.IOMMU.Groups)
	}
	var disks []string
	for _, d := range r.Disks {
		n := fmt.Sprintf("%s %s %s", d.Name, installer.Size(d.SizeBytes).Human(), d.Transport)
		if d.InstallerMedium {
			n += " (installer)"
		}
		disks = append(disks, n)
	}
	var nics []string
	for _, n := range r.NICs {
		nics = append(nics, n.Name+" "+linkWord(n))
	}
	return [][2]string{
		{"Firmware", fw},
		{"CPU", cpu},
		{"IOMMU", iommu},
		{"Memory", installer.Size(r.Memory.TotalBytes).Human()},
		{"Disks", orNone(strings.Join(disks, "; "))},
		{"NICs", orNone(strings.Join(nics, "; "))},
	}
}

func linkWord(n hwdetect.NIC) string {
	switch {
	case !n.Carrier:
		return "down"
	case n.SpeedMbps >= 1000:
		return fmt.Sprintf("up %dG", n.SpeedMbps/1000)
	case n.SpeedMbps > 0:
		return fmt.Sprintf("up %dM", n.SpeedMbps)
	}
	return "up"
}

func orNone(s string) string {
	if s == "" {
		return "none found"
	}
	return s
}

// plainWarnings are the report's warnings and what the hardware means for a Xen host, in
// plain words. A scanned report carries hwdetect's own warnings about Secure Boot, the CPU,
// the IOMMU, memory and virtual machines: those are said once, in its words; a report
// without warnings (loaded from a file) gets the installer's.
func plainWarnings(r hwdetect.Report) []string {
	out := append([]string{}, r.Warnings...)
	out = append(out, diskWarnings(r)...)
	if len(r.Warnings) > 0 {
		return out
	}
	if r.Firmware.SecureBoot {
		out = append(out, "Secure Boot is on: Xen cannot boot with it yet. Turn it off in the firmware setup before installing.")
	}
	if !r.CPU.HVM() {
		out = append(out, "The CPU shows no VT-x/AMD-V (absent, or off in the firmware): only PV guests will run.")
	}
	if !r.IOMMU.Active {
		out = append(out, "No active IOMMU (VT-d/AMD-Vi off or absent): devices cannot be passed through to guests.")
	}
	if t := r.Memory.TotalBytes; t != 0 && t < uint64(4*installer.GiB) {
		out = append(out, fmt.Sprintf("Only %s of memory: a Xen host wants at least 4GiB.", installer.Size(t).Human()))
	}
	if r.Hypervisor == hwdetect.HypervisorOtherVM || r.Hypervisor == hwdetect.HypervisorXenDomU {
		out = append(out, "This is a virtual machine: Xen will run nested only if the hypervisor allows it.")
	}
	return out
}

// diskWarnings say when no disk can be installed on, and why each cannot.
func diskWarnings(r hwdetect.Report) []string {
	if anyUsable(r.Disks) {
		return nil
	}
	var why []string
	for _, d := range r.Disks {
		if u := unusable(d); u != "" && !d.InstallerMedium {
			why = append(why, fmt.Sprintf("%s (%s): %s", d.Name, contents(d), u))
		}
	}
	if len(why) == 0 {
		if len(r.Warnings) > 0 {
			return nil // hwdetect said so
		}
		return []string{"No disk to install on was found (the installer medium cannot be one)."}
	}
	return []string{"No disk can be installed on: " + strings.Join(why, "; ") + "."}
}
