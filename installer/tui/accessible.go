package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"

	"github.com/xennix/xennix/installer"
)

// runAccessible asks the same questions as the screens, as plain sequential prompts (huh's
// accessible mode): no redrawing, no colour, nothing but lines, for a screen reader or a
// dumb serial line.
func runAccessible(ctx context.Context, o Options) (installer.Answers, error) {
	p := newPlain(ctx, o)
	st, run, say, runSpec := p.st, p.run, p.say, p.runSpec

	say("XenNix installer: NixOS as a Xen dom0 on this machine.")
	for _, l := range hardwareLines(st.r) {
		say("%s: %s", l[0], l[1])
	}
	for _, warn := range plainWarnings(st.r) {
		say("Warning: %s", warn)
	}
	say("Nothing is written to any disk until you type the names of the disks to erase.")
	for _, id := range screensFor(o.Base, &o.Report) {
		var err error
		switch id {
		case scrDisks:
			err = accessibleDisks(st, run, say)
		case scrStorage:
			err = runSpec("Storage", &storageForm{st: st})
		case scrImpermanence:
			err = runSpec("Impermanence", &impermanenceForm{st: st})
		case scrNetwork:
			err = runSpec("Network", &networkForm{st: st})
		case scrXen:
			err = runSpec("Xen", &xenForm{st: st})
		case scrHost:
			err = runSpec("Host and users", &hostForm{st: st})
		case scrReview:
			err = accessibleReview(st, run, say)
		case scrProgress:
			if o.Install == nil {
				return st.a, nil
			}
			err = accessibleInstall(st, run, say)
		case scrDone:
			err = accessibleDone(st, run, say)
		}
		if err != nil {
			return st.a, err
		}
	}
	return st.a, nil
}

// plain asks a screen's questions as plain sequential prompts (huh's accessible mode): the
// installer's --accessible mode and xennix-setup's.
type plain struct {
	st *state
	in io.Reader
	w  io.Writer
}

// newPlain is the prompter over o.Input and o.Output, with a state over o.Base.
func newPlain(ctx context.Context, o Options) *plain {
	in := o.Input
	if !isTerminal(in) {
		// huh reads each answer with a fresh bufio.Scanner: hand it one line at a time so
		// that one prompt does not swallow the next answers.
		in = &lineReader{r: bufio.NewReader(in)}
	}
	o.Accessible = true
	// tried: each prompt is answered before it is checked, so every check applies at once.
	st := &state{ctx: ctx, opts: o, r: o.Report, a: o.Base, styles: plainStyles(), keys: newKeyMap(), w: 78, tried: true}
	return &plain{st: st, in: in, w: o.Output}
}

func (p *plain) say(format string, args ...any) { fmt.Fprintf(p.w, format+"\n", args...) }

// run asks one group's questions; ErrQuit when the input ended or ctx was cancelled.
func (p *plain) run(g *huh.Group) error {
	ctx, in, w := p.st.ctx, p.in, p.w
	f := huh.NewForm(g).WithTheme(p.st.styles.huh).WithAccessible(true).WithInput(in).WithOutput(w)
	// huh's accessible prompts read the line without looking at the context: wait for
	// either, so that Ctrl+C (SIGINT cancels ctx) quits at once instead of at the next
	// Enter. The abandoned read ends with the process.
	done := make(chan error, 1)
	go func() {
		defer func() {
			// huh's select indexes its options with the last line read when the input ends
			// after a refused line, and panics (huh v2.0.3 field_select.go RunAccessible).
			if r := recover(); r != nil {
				done <- fmt.Errorf("the prompt failed: %v", r)
			}
		}()
		done <- f.RunWithContext(ctx)
	}()
	select {
	case err := <-done:
		if lr, ok := in.(*lineReader); ok && lr.eof {
			return fmt.Errorf("%w: the input ended", ErrQuit)
		}
		if err != nil {
			return err
		}
	case <-ctx.Done():
		fmt.Fprintln(w)
		return fmt.Errorf("%w: interrupted", ErrQuit)
	}
	if lr, ok := in.(*lineReader); ok && lr.eof {
		return fmt.Errorf("%w: the input ended", ErrQuit)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: interrupted", ErrQuit)
	}
	return nil
}

// runSpec asks a form screen's pages in order, then applies them; a refusal names the
// fields and asks the pages again, up to five times.
func (p *plain) runSpec(title string, spec formSpec) error {
	for try := 0; ; try++ {
		p.say("\n== %s ==", title)
		spec.load()
		if t := spec.intro(); t != "" {
			p.say("%s", t)
		}
		for _, pg := range spec.pages() {
			if pg.show != nil && !pg.show() {
				continue
			}
			if err := p.run(pg.build()); err != nil {
				return err
			}
		}
		err := spec.apply()
		if err == nil {
			return nil
		}
		p.say("Please correct:\n%s", describe(err, spec.labels()))
		if try >= 4 {
			return err
		}
	}
}

func accessibleDisks(st *state, run func(*huh.Group) error, say func(string, ...any)) error {
	say("\n== Disks ==")
	var eligible []int
	for i, d := range st.r.Disks {
		line := fmt.Sprintf("%s: %s %s %s, serial %s, %s", d.Name, strings.TrimSpace(d.Vendor+" "+d.Model), installer.Size(d.SizeBytes).Human(), d.Transport, d.Serial, contents(d))
		if why := unusable(d); why != "" {
			line += "; cannot be used: " + why
		} else {
			eligible = append(eligible, i)
		}
		say("%s", line)
	}
	if len(eligible) == 0 {
		return errors.New("no disk to install on")
	}
	opt := func(i int) huh.Option[int] {
		d := st.r.Disks[i]
		return huh.NewOption(fmt.Sprintf("%s (%s %s)", d.Name, strings.TrimSpace(d.Model), installer.Size(d.SizeBytes).Human()), i)
	}
	var opts []huh.Option[int]
	for _, i := range eligible {
		opts = append(opts, opt(i))
	}
	first := eligible[0]
	if err := run(huh.NewGroup(huh.NewSelect[int]().Title("Disk to install on (it will be erased)").Options(opts...).Value(&first))); err != nil {
		return err
	}
	picked := []int{first}
	if len(eligible) > 1 {
		mirror := st.a.Storage.Mirror
		if err := run(huh.NewGroup(huh.NewConfirm().Title("Mirror onto a second disk?").Value(&mirror))); err != nil {
			return err
		}
		if mirror {
			var rest []huh.Option[int]
			second := -1
			for _, i := range eligible {
				if i != first {
					rest = append(rest, opt(i))
					if second < 0 {
						second = i
					}
				}
			}
			if err := run(huh.NewGroup(huh.NewSelect[int]().Title("Second disk (it will be erased too)").Options(rest...).Value(&second))); err != nil {
				return err
			}
			picked = append(picked, second)
		}
	}
	d := &disks{st: st, picked: picked}
	d.apply()
	return nil
}

func accessibleReview(st *state, run func(*huh.Group) error, say func(string, ...any)) error {
	r := newReview(st)
	r.w = 78
	r.Enter()
	say("\n== Review ==")
	if r.planErr != nil {
		say("%s", r.View())
		return r.planErr
	}
	say("%s", r.summary())
	say("Files that will be written:")
	for _, f := range st.plan.Files() {
		say("  %s (%d bytes)", f.Path, len(f.Data))
	}
	say("Commands:")
	for _, s := range st.plan.Steps {
		for _, c := range s.Commands {
			say("  %s", strings.Join(c, " "))
		}
	}
	st.confirmed = nil
	for _, d := range st.plan.Host.Disks {
		name := d.Name
		var typed string
		err := run(huh.NewGroup(huh.NewInput().
			Title(fmt.Sprintf("To erase %s (%s %s, serial %s), type %s:", d.Name, strings.TrimSpace(d.Model), installer.Size(d.SizeBytes).Human(), d.Serial, d.Name)).
			Value(&typed).Validate(func(s string) error {
			if strings.TrimSpace(s) != name {
				return fmt.Errorf("that is not %s", name)
			}
			return nil
		})))
		if err != nil {
			return err
		}
		if strings.TrimSpace(typed) != name {
			return fmt.Errorf("%w: %s was not confirmed", ErrQuit, name)
		}
		id := d.ByID
		if id == "" {
			id = "/dev/" + d.Name
		}
		st.confirmed = append(st.confirmed, id)
	}
	return nil
}

func accessibleInstall(st *state, run func(*huh.Group) error, say func(string, ...any)) error {
	if err := writeKey(st); err != nil {
		return err
	}
	resume := false
	for {
		req := InstallRequest{Answers: planned(st.a), Plan: st.plan, Confirmed: st.confirmed, Resume: resume,
			Events: func(e installer.Event) {
				n := fmt.Sprintf("[%d/%d]", e.Index+1, e.Total)
				switch e.Kind {
				case installer.StepStarted:
					say("%s %s ...", n, e.Title)
				case installer.StepDone:
					say("%s %s: done (%s)", n, e.Title, e.Duration.Round(100*time.Millisecond))
				case installer.StepSkipped:
					say("%s %s: done before, skipped", n, e.Title)
				case installer.StepFailed:
					say("%s %s: FAILED", n, e.Title)
				}
			}}
		res, err := st.opts.Install(st.ctx, req)
		if err == nil {
			st.result = res
			return nil
		}
		say("The install stopped: %v", err)
		say("What was done is kept. A shell is on the next console (Alt+F2); the log is %s/install.log.", installer.WorkDir)
		retry := false
		if rerr := run(huh.NewGroup(huh.NewConfirm().Title("Retry the failed step?").Value(&retry))); rerr != nil || !retry {
			say("Continue later with: xennix install --answers %s/answers.yaml --resume", installer.WorkDir)
			return err
		}
		resume = true
	}
}

func accessibleDone(st *state, run func(*huh.Group) error, say func(string, ...any)) error {
	say("\n== Done ==")
	say("%s", doneText(st))
	if st.result.LogPath != "" {
		say("The install log is %s.", st.result.LogPath)
	}
	path := ""
	if err := run(huh.NewGroup(huh.NewInput().Title("Save these answers to (empty: do not save)").Placeholder((&done{st: st}).defaultPath()).Value(&path))); err != nil {
		return err
	}
	if path = strings.TrimSpace(path); path != "" {
		say("%s", (&done{st: st}).save(path))
	}
	if st.opts.Reboot != nil && !st.opts.DryRun {
		reboot := false
		if err := run(huh.NewGroup(huh.NewConfirm().Title("Reboot now?").Value(&reboot))); err != nil {
			return err
		}
		if reboot {
			return st.opts.Reboot(st.ctx)
		}
	}
	return nil
}

// plainStyles are styles that draw nothing but the text, for the accessible mode.
func plainStyles() Styles {
	s := NewStyles(func(k string) string {
		return map[string]string{"NO_COLOR": "1", "TERM": "dumb"}[k]
	})
	plain := lipgloss.NewStyle()
	s.Title, s.Header, s.Section, s.Label, s.Muted, s.Warn, s.Error = plain, plain, plain, plain, plain, plain, plain
	s.OK, s.Selected, s.Cursor, s.Disabled, s.Help, s.Status = plain, plain, plain, plain, plain, plain
	s.huh = newCachedTheme(huh.ThemeBase)
	return s
}

// lineReader hands out at most one line per Read.
type lineReader struct {
	r   *bufio.Reader
	eof bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			if n == 0 {
				if errors.Is(err, io.EOF) {
					l.eof = true
				}
				return 0, err
			}
			return n, nil
		}
		p[n] = b
		n++
		if b == '\n' {
			break
		}
	}
	return n, nil
}

// isTerminal reports whether r is a terminal (then huh can read hidden passwords).
func isTerminal(r io.Reader) bool {
	f, ok := r.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(f.Fd())
}
