package tui

import (
	"fmt"
	"strings"

	"charm.land/huh/v2"
)

// textField is a text field of a form page, the same on the screens and at the plain
// prompts. huh's plain prompt shows neither the description nor the value (an empty line
// keeps it): there the title carries both, "now X, Enter keeps it". A clearable field is
// optional: at a plain prompt "-" empties it. check validates what was typed, or the
// current value for an empty line (orCurrent); nil accepts anything.
func (st *state) textField(title, desc string, v *string, check func(string) error, clearable bool) *huh.Input {
	in := huh.NewInput().Title(title).Value(v)
	if desc != "" {
		in.Description(desc)
	}
	if check == nil {
		check = func(string) error { return nil }
	}
	// A refusal is shown below the page's fields: it names the one it is about.
	check = named(title, check)
	if !st.opts.Accessible {
		return in.Validate(orCurrent(v, check))
	}
	in.Title(plainTitle(title, desc, *v, clearable))
	if clearable {
		in.Accessor(&clearingAccessor{v: v})
	}
	return in.Validate(func(s string) error {
		if clearable && strings.TrimSpace(s) == clearMark {
			return check("")
		}
		return orCurrent(v, check)(s)
	})
}

// clearingAccessor stores a plain prompt's answer, clearMark as empty.
type clearingAccessor struct{ v *string }

func (a *clearingAccessor) Get() string { return *a.v }

func (a *clearingAccessor) Set(s string) {
	if strings.TrimSpace(s) == clearMark {
		s = ""
	}
	*a.v = s
}

// choiceTitle is a select's title. At a plain prompt huh lists the options and asks for a
// number without saying which one Enter keeps: the title says it, with the first word of
// the current option's label.
func choiceTitle[T comparable](st *state, title string, opts []huh.Option[T], cur T) string {
	if !st.opts.Accessible {
		return title
	}
	for i, o := range opts {
		if o.Value == cur {
			word := o.Key
			if f := strings.Fields(o.Key); len(f) > 0 {
				word = f[0]
			}
			return fmt.Sprintf("%s (now %d. %s, Enter keeps it)", title, i+1, word)
		}
	}
	return title
}

// plainOnly is a description for the plain prompts only: on the screens the field's
// placeholder shows it.
func (st *state) plainOnly(desc string) string {
	if st.opts.Accessible {
		return desc
	}
	return ""
}

// describedTitle is a field's title, at a plain prompt with its description (huh's plain
// prompt does not show it): for fields whose value is not shown, a password.
func (st *state) describedTitle(title, desc string) string {
	if st.opts.Accessible {
		return plainTitle(title, desc, "", false)
	}
	return title
}

// picksTitle is a multi-select's title. At a plain prompt huh lists the options and asks
// for numbers to toggle, and an empty line is refused: the title says what is picked now
// and that 0 keeps it.
func picksTitle(st *state, title string, picked []string) string {
	if !st.opts.Accessible {
		return title
	}
	now := "none"
	if len(picked) > 0 {
		now = strings.Join(picked, ", ")
	}
	return fmt.Sprintf("%s (now %s; a number picks or drops one, 0 keeps the picks)", title, now)
}
