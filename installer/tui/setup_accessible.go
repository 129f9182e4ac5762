package tui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/installer"
)

// runSetupAccessible is xennix-setup as plain sequential prompts: a menu of the sections
// (the same form pages as the screens), then the review of the changes and the apply. It
// reads lines from any input, a terminal or a pipe; the input ending quits with nothing
// applied.
func runSetupAccessible(ctx context.Context, o SetupOptions) (installer.Answers, error) {
	p := newPlain(ctx, Options{Report: o.Report, Base: o.Answers, Input: o.Input, Output: o.Output, Getenv: o.Getenv})
	st := p.st
	st.setup = true
	p.say("XenNix setup: change this host, %s.", st.a.Host.Hostname)
	for _, l := range hardwareLines(st.r) {
		p.say("%s: %s", l[0], l[1])
	}
	p.say("Disk layout (not changeable here): %s", layoutSummary(st.a, &st.r))
	p.say("Nothing is written until you choose %q and confirm.", "Review and apply the changes")
	sections := []struct {
		id   screenID
		spec formSpec
	}{
		{scrNetwork, &networkForm{st: st}},
		{scrXen, &xenForm{st: st}},
		{scrImpermanence, &impermanenceForm{st: st}},
		{scrHost, &hostForm{st: st}},
	}
	const review, quit, guestsChoice = -1, -2, -3
	l := &guestsList{st: st, declared: o.Declared, w: 78}
	for {
		var opts []huh.Option[int]
		for i, s := range sections {
			opts = append(opts, huh.NewOption("Change: "+screenTitles[s.id], i))
		}
		opts = append(opts, huh.NewOption("Change: Guests", guestsChoice))
		opts = append(opts, huh.NewOption("Review and apply the changes", review), huh.NewOption("Quit without changing anything", quit))
		choice := review
		p.say("")
		if err := p.run(huh.NewGroup(huh.NewSelect[int]().Title("What next?").Options(opts...).Value(&choice))); err != nil {
			return st.a, err
		}
		switch choice {
		case quit:
			return st.a, fmt.Errorf("%w: nothing was changed", ErrQuit)
		case review:
			applied, err := p.review(o.Diff, o.Apply)
			if err != nil || applied {
				return st.a, err
			}
		case guestsChoice:
			// The guests' own menu, its last choice back here: the review and the apply are
			// this menu's, over every section's changes.
			if _, err := p.guests(l, huh.NewOption("Back to the setup menu (review and apply from there)", guestsBack)); err != nil {
				return st.a, err
			}
		default:
			s := sections[choice]
			if err := p.runSpec(screenTitles[s.id], s.spec); err != nil {
				return st.a, err
			}
		}
	}
}

// review shows the diff of the answers as they stand, asks to apply it, and applies it. It
// reports whether it applied (then the caller is done); a problem or a "no" goes back to
// the menu, every answer kept.
func (p *plain) review(diff func(installer.Answers) (string, error), apply func(context.Context, installer.Answers) (string, error)) (bool, error) {
	p.say("\n== Review changes ==")
	if diff == nil {
		return false, fmt.Errorf("no diff: this build cannot compare answers")
	}
	d, err := diff(p.st.a)
	switch {
	case err != nil:
		p.say("These answers cannot be applied:")
		probs := installer.Problems(err)
		if len(probs) == 0 {
			p.say("! %v", err)
		}
		for _, pr := range probs {
			p.say("! %v", pr)
		}
		p.say("Change them, or quit.")
		return false, nil
	case strings.TrimSpace(d) == "":
		p.say("Nothing to change: the answers are those of the host.")
		return false, nil
	}
	p.say("%s", strings.TrimRight(d, "\n"))
	ok := false
	if err := p.run(huh.NewGroup(huh.NewConfirm().Title("Apply these changes?").Value(&ok))); err != nil {
		return false, err
	}
	if !ok {
		p.say("Not applied. The changes are kept here until you quit.")
		return false, nil
	}
	if apply == nil {
		return false, fmt.Errorf("no apply: this build cannot change the host")
	}
	p.say("Applying: writing the files and rebuilding...")
	out, err := apply(p.st.ctx, p.st.a)
	if out != "" {
		p.say("%s", strings.TrimRight(out, "\n"))
	}
	if err != nil {
		p.say("Apply failed: %v", err)
		return true, err
	}
	p.say("Applied.")
	return true, nil
}

// runGuestsAccessible is xennix-setup's guests screens as plain prompts: the list, a menu
// (add, edit, remove, review, quit), the add/edit form's pages, and the review with what
// the change does to the guests.
func runGuestsAccessible(ctx context.Context, o GuestsOptions) (installer.Answers, error) {
	p := newPlain(ctx, Options{Report: o.Report, Base: o.Answers, Input: o.Input, Output: o.Output, Getenv: o.Getenv})
	st := p.st
	l := &guestsList{st: st, declared: o.Declared, w: 78}
	diff := withGuestEffects(o.Answers, o.Diff)
	for {
		choice, err := p.guests(l, huh.NewOption("Review and apply the changes", guestsReview), huh.NewOption("Quit without changing anything", guestsQuit))
		if err != nil {
			return st.a, err
		}
		if choice == guestsQuit {
			return st.a, fmt.Errorf("%w: nothing was changed", ErrQuit)
		}
		applied, err := p.review(diff, o.Apply)
		if err != nil || applied {
			return st.a, err
		}
	}
}

// The guests menu's own choices, besides editing a guest.
const (
	guestsAdd    = "add"
	guestsReview = "review"
	guestsQuit   = "quit"
	guestsBack   = "back"
)

// guests is the guests list and its menu: add, edit and remove a guest (the answers
// changed in place) until one of the last choices is taken, which it returns.
func (p *plain) guests(l *guestsList, last ...huh.Option[string]) (string, error) {
	st := p.st
	for {
		p.say("\n== Guests of %s ==", st.a.Host.Hostname)
		if len(st.a.Guests) == 0 {
			p.say("No guests managed here yet.")
		}
		for _, g := range st.a.Guests {
			p.say("  %s", strings.TrimRight(guestLine(g), " "))
		}
		if len(l.declared) > 0 {
			p.say("Declared in configuration.nix (read-only here: edit them there):")
			for _, d := range l.declared {
				p.say("  %s", declaredLine(d))
			}
		}
		opts := []huh.Option[string]{huh.NewOption("Add a guest", guestsAdd)}
		for i, g := range st.a.Guests {
			opts = append(opts, huh.NewOption("Edit "+g.Name, "edit "+strconv.Itoa(i)))
		}
		for i, g := range st.a.Guests {
			opts = append(opts, huh.NewOption("Remove "+g.Name+" (its volumes are kept)", "rm "+strconv.Itoa(i)))
		}
		opts = append(opts, last...)
		choice := last[0].Value
		if err := p.run(huh.NewGroup(huh.NewSelect[string]().Title("What next?").Options(opts...).Value(&choice))); err != nil {
			return "", err
		}
		verb, arg, _ := strings.Cut(choice, " ")
		i, _ := strconv.Atoi(arg)
		switch verb {
		case guestsAdd:
			if err := p.guestForm(l, newGuestDraft(installer.Guest{}, -1)); err != nil {
				return "", err
			}
		case "edit":
			if err := p.guestForm(l, newGuestDraft(st.a.Guests[i], i)); err != nil {
				return "", err
			}
		case "rm":
			name := st.a.Guests[i].Name
			st.a.Guests = slices.Delete(slices.Clone(st.a.Guests), i, i+1)
			p.say("Removed %s from the list: the switch stops it once applied; its volumes are kept.", name)
		default:
			return choice, nil
		}
	}
}

// guestForm asks the add/edit form's pages (the screens' own) and puts the guest into the
// answers; a refusal names the fields and asks the form again, what was typed kept.
func (p *plain) guestForm(l *guestsList, d *guestDraft) error {
	title := "Add a guest"
	if d.index >= 0 {
		title = "Edit the guest " + d.name
	}
	for try := 0; ; try++ {
		p.say("\n== %s ==", title)
		for _, g := range d.groups(p.st) {
			if err := p.run(g); err != nil {
				return err
			}
		}
		l.draft = d
		err := l.commit()
		l.draft = nil
		if err == nil {
			p.say("%s is in the list; nothing is written until you review and apply.", strings.TrimSpace(d.name))
			return nil
		}
		p.say("Please correct:\n%s", err)
		if try >= 4 {
			p.say("Not kept: back to the list.")
			return nil
		}
	}
}
