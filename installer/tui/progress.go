package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/installer"
)

// Step states on the progress screen.
const (
	stepPending = iota
	stepRunning
	stepDone
	stepSkipped
	stepFailed
)

type stepRow struct {
	title string
	state int
	dur   time.Duration
}

// Messages from the install goroutine; ch tells a retry's messages from a stale run's.
type (
	installEventMsg struct {
		e  installer.Event
		ch chan tea.Msg
	}
	installDoneMsg struct {
		res InstallResult
		err error
		ch  chan tea.Msg
	}
	tickMsg struct{}
)

// logKeep is how many lines of install output the log pane keeps.
const logKeep = 500

// progress runs the install and shows its steps, a bar and a log pane; on failure it offers
// to retry the step, a shell hint, or to quit with the state kept.
type progress struct {
	st       *state
	rows     []stepRow
	log      []string
	showLog  bool
	hint     bool
	frame    int
	started  bool
	finished bool
	err      error
	ch       chan tea.Msg
	w, h     int
}

func newProgress(st *state) *progress { return &progress{st: st, w: 80, h: 21} }

func (p *progress) SetSize(w, h int) { p.w, p.h = w, h }

func (p *progress) ShortHelp() []key.Binding {
	k := p.st.keys
	if p.err != nil {
		return []key.Binding{k.Retry, k.Shell, k.Log, k.Leave}
	}
	if p.finished {
		return []key.Binding{k.Next, k.Log}
	}
	return []key.Binding{k.Log}
}

func (p *progress) Enter() tea.Cmd {
	if p.started {
		return nil
	}
	p.started = true
	p.rows = nil
	for _, s := range p.st.plan.Steps {
		p.rows = append(p.rows, stepRow{title: s.Title})
	}
	return p.start(false)
}

// start runs Options.Install in a goroutine whose progress comes back as messages.
func (p *progress) start(resume bool) tea.Cmd {
	p.err, p.finished, p.hint = nil, false, false
	if err := writeKey(p.st); err != nil {
		p.err, p.finished = err, true
		p.st.installErr = err
		return nil
	}
	if p.st.opts.Install == nil {
		// No install to run (the review is the end of this run): leave instead of starting.
		return func() tea.Msg { return quitMsg{} }
	}
	ch := make(chan tea.Msg, 64)
	p.ch = ch
	req := InstallRequest{
		Answers: planned(p.st.a), Plan: p.st.plan, Confirmed: append([]string{}, p.st.confirmed...), Resume: resume,
		Events: func(e installer.Event) { ch <- installEventMsg{e: e, ch: ch} },
	}
	ctx := p.st.ctx
	install := p.st.opts.Install
	go func() {
		res, err := install(ctx, req)
		ch <- installDoneMsg{res: res, err: err, ch: ch}
		close(ch)
	}()
	return tea.Batch(listen(ch), tick())
}

// writeKey writes the encryption passphrase where the answers say it is (KeyFile under
// Options.Root), readable by root only, just before the install needs it. A dry run never
// writes it: nothing reads it there, and a passphrase left in --out would outlive the run.
// The install removes it once disko has used it (the partition step's Scrub).
func writeKey(st *state) error {
	if st.passphrase == "" || !st.a.Storage.Encryption.Enabled || st.opts.DryRun {
		return nil
	}
	path := filepath.Join(st.opts.Root, KeyFile)
	if err := installer.WriteFileAtomic(path, []byte(st.passphrase), 0o600); err != nil {
		return fmt.Errorf("write the encryption passphrase: %w", err)
	}
	return nil
}

func listen(ch chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return m
	}
}

func tick() tea.Cmd {
	return tickAfter(120*time.Millisecond, func(time.Time) tea.Msg { return tickMsg{} })
}

func (p *progress) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		if p.finished {
			return p, nil
		}
		p.frame++
		return p, tick()
	case installEventMsg:
		if msg.ch != p.ch {
			return p, nil
		}
		p.event(msg.e)
		return p, listen(msg.ch)
	case installDoneMsg:
		if msg.ch != p.ch {
			return p, nil
		}
		p.finished = true
		p.err = msg.err
		p.st.installErr = msg.err
		if msg.err == nil {
			p.st.result = msg.res
			if p.st.opts.DryRun {
				// A dry run takes a moment: stay, so that its steps can be read.
				return p, nil
			}
			return p, next
		}
		p.logLines(strings.Split(msg.err.Error(), "\n"))
		return p, nil
	case tea.KeyPressMsg:
		k := p.st.keys
		switch {
		case key.Matches(msg, k.Log):
			p.showLog = !p.showLog
		case p.finished && p.err == nil && key.Matches(msg, k.Next):
			return p, next
		case p.err != nil && key.Matches(msg, k.Retry):
			return p, p.start(true)
		case p.err != nil && key.Matches(msg, k.Shell):
			p.hint = !p.hint
		case p.err != nil && key.Matches(msg, k.Leave):
			return p, func() tea.Msg { return quitMsg{err: p.err} }
		}
	}
	return p, nil
}

func (p *progress) event(e installer.Event) {
	if e.Index < 0 || e.Index >= len(p.rows) {
		return
	}
	r := &p.rows[e.Index]
	switch e.Kind {
	case installer.StepStarted:
		r.state = stepRunning
		p.logLines([]string{"== " + e.Title})
	case installer.StepOutput, installer.StepNote:
		p.logLines([]string{e.Line})
	case installer.StepVerified:
		if e.Verification != nil {
			p.logLines(strings.Split(strings.TrimSuffix(e.Verification.String(), "\n"), "\n"))
		}
	case installer.StepDone:
		r.state, r.dur = stepDone, e.Duration
	case installer.StepSkipped:
		r.state = stepSkipped
	case installer.StepFailed:
		r.state, r.dur = stepFailed, e.Duration
		if e.Err != nil {
			p.logLines([]string{"FAILED: " + strings.SplitN(e.Err.Error(), "\n", 2)[0]})
		}
	}
}

func (p *progress) logLines(ls []string) {
	p.log = append(p.log, ls...)
	if len(p.log) > logKeep {
		p.log = p.log[len(p.log)-logKeep:]
	}
}

func (p *progress) View() string {
	s := p.st.styles
	var b strings.Builder
	title := "Installing " + p.st.a.Host.Hostname
	if p.st.opts.DryRun {
		title = "Dry run: nothing on this machine changes; files go to " + p.st.opts.Out
	}
	b.WriteString(s.Title.Render(title) + "\n")
	done := 0
	for _, r := range p.rows {
		if r.state == stepDone || r.state == stepSkipped {
			done++
		}
	}
	b.WriteString(p.bar(done, len(p.rows)) + "\n")
	used := 2
	logRows := 0
	if p.showLog || p.err != nil {
		logRows = max(p.h-used-len(p.rows)-2, 4)
	}
	stepRows := p.h - used - logRows
	if p.err != nil && !p.showLog {
		stepRows = min(stepRows, len(p.rows))
	}
	for _, r := range p.visibleRows(stepRows) {
		b.WriteString(p.rowView(r) + "\n")
	}
	if p.finished && p.err == nil {
		b.WriteString(s.OK.Render("Every step ran.") + " Press enter for the result.\n")
	}
	if p.err != nil {
		b.WriteString(s.Error.Render("The install stopped; what was done is kept.") + " r retries the step")
		if p.hint {
			b.WriteString("\n" + wrapText("A shell is on the next console (Alt+F2, or tty2 on a serial line: log in as root). The log is "+installer.WorkDir+"/install.log. After a fix, press r here, or later run: xennix install --answers "+installer.WorkDir+"/answers.yaml --resume", p.w))
		}
		b.WriteString("\n")
	}
	if logRows > 0 {
		b.WriteString(s.Muted.Render("--- log ---") + "\n")
		// The last lines that fit, each wrapped at the width rather than cut.
		var tail []string
		for i := len(p.log) - 1; i >= 0 && len(tail) < logRows; i-- {
			w := strings.Split(ansi.Wrap(p.log[i], max(p.w, 10), ""), "\n")
			tail = append(w, tail...)
		}
		if len(tail) > logRows {
			tail = tail[len(tail)-logRows:]
		}
		for _, l := range tail {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// visibleRows keeps the running or failed step in view when the list is cut.
func (p *progress) visibleRows(n int) []stepRow {
	if n <= 0 {
		return nil
	}
	if len(p.rows) <= n {
		return p.rows
	}
	cur := 0
	for i, r := range p.rows {
		if r.state == stepRunning || r.state == stepFailed || r.state == stepDone {
			cur = i
		}
	}
	start := min(max(cur-n/2, 0), len(p.rows)-n)
	return p.rows[start : start+n]
}

func (p *progress) rowView(r stepRow) string {
	s := p.st.styles
	mark := s.Pending
	switch r.state {
	case stepRunning:
		mark = s.Spinner[p.frame%len(s.Spinner)]
	case stepDone:
		mark = s.OK.Render(s.Check)
	case stepSkipped:
		mark = s.Skipped
	case stepFailed:
		mark = s.Error.Render(s.Cross)
	}
	dur := ""
	if r.state == stepDone || r.state == stepFailed {
		dur = r.dur.Round(100 * time.Millisecond).String()
	}
	if r.state == stepSkipped {
		dur = "done before"
	}
	title := cut(r.title, max(p.w-16, 10))
	pad := strings.Repeat(" ", max(2-ansi.StringWidth(mark), 0))
	return fmt.Sprintf(" %s%s %-*s %s", pad, mark, max(p.w-16, 10), title, dur)
}

// bar is a text progress bar: steps done of all.
func (p *progress) bar(done, total int) string {
	s := p.st.styles
	width := max(p.w-12, 10)
	fill := 0
	if total > 0 {
		fill = width * done / total
	}
	return fmt.Sprintf("%s%s %d/%d", strings.Repeat(s.BarFull, fill), strings.Repeat(s.BarEmpty, width-fill), done, total)
}
