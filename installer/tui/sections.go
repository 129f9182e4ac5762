package tui

import (
	"reflect"
	"strings"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// screensFor lists the screens shown for a starting point: all of them for fresh defaults;
// for a partial answers file, those whose sections it does not fully answer, plus those its
// interactive: list names. Welcome, review, install and done are always shown.
func screensFor(base installer.Answers, r *hwdetect.Report) []screenID {
	var out []screenID
	for id := scrWelcome; id < numScreens; id++ {
		secs := screenSections[id]
		ask := len(secs) == 0
		for _, s := range secs {
			if !Answered(base, s, r) || asked(base, s) {
				ask = true
			}
		}
		if ask {
			out = append(out, id)
		}
	}
	return out
}

// screenSections are the answers sections each question screen fills.
var screenSections = [numScreens][]installer.Section{
	scrDisks:        {"disks"},
	scrStorage:      {"storage"},
	scrImpermanence: {"impermanence"},
	scrNetwork:      {"network"},
	scrXen:          {"xen"},
	scrHost:         {"host", "users"},
}

func asked(a installer.Answers, s installer.Section) bool {
	for _, x := range a.Interactive {
		if x == s {
			return true
		}
	}
	return false
}

// Answered reports whether the answers fully answer a section: it differs from the
// defaults (a file wrote it) and validation finds no problem in it. The installer package
// knows where each key was written; until it says (an Answers.Answered), this is judged
// from the values, so a section written with exactly the default values is asked again.
func Answered(a installer.Answers, s installer.Section, r *hwdetect.Report) bool {
	def := installer.Defaults(r)
	if reflect.DeepEqual(sectionValue(a, s), sectionValue(def, s)) {
		return false
	}
	for _, p := range installer.Problems(a.Validate(r)) {
		if inSection(p.Field, string(s)) {
			return false
		}
	}
	return true
}

func sectionValue(a installer.Answers, s installer.Section) any {
	switch s {
	case "host":
		return a.Host
	case "boot":
		return a.Boot
	case "disks":
		return a.Disks
	case "storage":
		return a.Storage
	case "impermanence":
		return a.Impermanence
	case "network":
		return a.Network
	case "xen":
		return a.Xen
	case "users":
		return a.Users
	case "ssh":
		return a.SSH
	case "install":
		return a.Install
	}
	return nil
}

// inSection reports whether a problem's field path lies in a section (or a prefix such as
// "network.ipv4").
func inSection(field, prefix string) bool {
	return field == prefix || strings.HasPrefix(field, prefix+".") || strings.HasPrefix(field, prefix+"[")
}

// fileSet reports whether a partial answers file gave a value (it differs from the
// defaults) in a section it does not list in interactive:: the question is then not asked.
func (st *state) fileSet(section installer.Section, get func(installer.Answers) any) bool {
	if st.setup || asked(st.opts.Base, section) {
		return false // xennix-setup asks everything it can change
	}
	return !reflect.DeepEqual(get(st.opts.Base), get(installer.Defaults(&st.r)))
}
