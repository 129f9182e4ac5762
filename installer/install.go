package installer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// Issue is one preflight finding. Hard issues stop the install; soft ones are warnings an
// operator may acknowledge.
type Issue struct {
	Hard bool
	Msg  string
}

func (i Issue) String() string {
	if i.Hard {
		return "error: " + i.Msg
	}
	return "warning: " + i.Msg
}

// ErrPreflight is wrapped when preflight finds hard issues.
var ErrPreflight = errors.New("preflight failed")

// Installer carries out a plan on this machine: it provides Execute's hooks (preflight, live
// network, verification, log saving, webhook) and the checks before anything is touched.
type Installer struct {
	// Plan is what is installed; its Host holds the answers it was made from.
	Plan Plan
	// Report is the hardware report the plan was made from.
	Report hwdetect.Report
	// Headless is an install from an answers file without an operator.
	Headless bool
	// Confirmed are the disks (by-id paths) an operator confirmed by typing their names;
	// interactive installs erase only those.
	Confirmed []string
	// DryRun: checks report and nothing is changed; Root is the --out directory.
	DryRun bool
	Root   string
	// LogPath is the install log that is copied onto the target.
	LogPath string
	// PassphraseLater: the encryption passphrase is not in its file, and need not be: the
	// TUI's dry run holds the passphrase it took in memory and never writes it.
	PassphraseLater bool

	// Seams to the machine, each with a production default.
	Euid       func() int
	Rescan     func() (hwdetect.Report, error)
	Online     func(ctx context.Context) error
	ApplyNet   func(ctx context.Context, c netsetup.Config) ([]string, error)
	HTTPClient *http.Client
	Now        func() time.Time
}

func (in *Installer) defaults() {
	if in.Euid == nil {
		in.Euid = os.Geteuid
	}
	if in.Rescan == nil {
		in.Rescan = func() (hwdetect.Report, error) { return hwdetect.Scan("/") }
	}
	if in.Online == nil {
		in.Online = checkOnline
	}
	if in.ApplyNet == nil {
		in.ApplyNet = func(ctx context.Context, c netsetup.Config) ([]string, error) {
			_, changes, err := netsetup.Apply(ctx, nil, c)
			return changes, err
		}
	}
	if in.HTTPClient == nil {
		in.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if in.Now == nil {
		in.Now = time.Now
	}
}

// checkOnline tries to reach the NixOS binary cache, which nixos-install uses for whatever
// the image does not carry.
func checkOnline(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "https://cache.nixos.org/nix-cache-info", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach cache.nixos.org: %w", err)
	}
	resp.Body.Close()
	return nil
}

// Preflight checks the machine before anything is touched: root, the target disks present,
// unmounted and not the installer medium, consent to erase them, memory, firmware, the
// encryption passphrase, and the network unless the install is offline. On a resume (see
// DoneSteps) it runs again; once the step that erases the disks is done, the disks hold
// what the install put there, and only their presence is checked.
func (in *Installer) Preflight(ctx context.Context) []Issue {
	in.defaults()
	formatted := false
	for _, s := range in.Plan.Steps {
		if len(s.Destroys) > 0 && slices.Contains(DoneSteps(ctx), s.Name) {
			formatted = true
		}
	}
	var out []Issue
	hard := func(f string, a ...any) { out = append(out, Issue{Hard: true, Msg: fmt.Sprintf(f, a...)}) }
	soft := func(f string, a ...any) { out = append(out, Issue{Msg: fmt.Sprintf(f, a...)}) }
	if in.Euid() != 0 {
		hard("xennix install must run as root")
	}
	rep, err := in.Rescan()
	if err != nil {
		hard("cannot read the hardware: %v", err)
		rep = in.Report
	}
	for _, want := range in.Plan.Host.Disks {
		id := want.ByID
		if id == "" {
			id = "/dev/" + want.Name
		}
		d, ok := rep.DiskByID(id)
		switch {
		case !ok:
			hard("target disk %s is gone", id)
			continue
		case d.InstallerMedium:
			hard("%s (%s) holds the running installer: it cannot be a target", id, d.Name)
		case formatted:
			continue // partitioned and mounted by this install
		case d.Mounted:
			hard("%s (%s) is in use (mounted, swap or stacked devices): unmount it first", id, d.Name)
		}
		holds := len(d.Partitions) > 0 || d.FSType != ""
		switch {
		case in.Headless && !in.Plan.Host.Answers.Install.Wipe && holds:
			hard("%s holds %s; a headless install erases it only with install.wipe: true in the answers", id, describeContents(d))
		case !in.Headless && !slices.Contains(in.Confirmed, id):
			hard("%s was not confirmed for erasing", id)
		}
	}
	if total := rep.Memory.TotalBytes; total != 0 && total < uint64(1536*MiB) {
		hard("%s of memory: the installer needs at least 1.5GiB", Size(total).Human())
	} else if total != 0 && total < uint64(4*GiB) {
		soft("%s of memory: Xen hosts want at least 4GiB", Size(total).Human())
	}
	if in.Plan.Host.Firmware == FirmwareUEFI && rep.Firmware.Mode == hwdetect.FirmwareBIOS {
		hard("the answers ask for UEFI but the installer was booted by BIOS: the UEFI boot loader cannot be registered")
	}
	if rep.Firmware.SecureBoot {
		hard("Secure Boot is on: Xen will not boot until it is turned off in the firmware setup")
	}
	if e := in.Plan.Host.Answers.Storage.Encryption; e.Enabled && !formatted && !in.PassphraseLater {
		switch fi, err := os.Stat(e.PassphraseFile); {
		case e.PassphraseFile == "":
			hard("encryption is on but there is no passphrase (storage.encryption.passphrase_file)")
		case err != nil:
			hard("encryption passphrase file: %v", err)
		case fi.Size() == 0:
			hard("encryption passphrase file %s is empty", e.PassphraseFile)
		}
	}
	if !in.Plan.Host.Answers.Install.Offline && !in.DryRun {
		if err := in.Online(ctx); err != nil {
			soft("no network (%v): the install will use only what the image carries", err)
		}
	}
	return out
}

func describeContents(d hwdetect.Disk) string {
	var parts []string
	for _, p := range d.Partitions {
		s := p.Name
		if p.FSType != "" {
			s += " " + p.FSType
		}
		if p.Label != "" {
			s += " " + p.Label
		}
		parts = append(parts, s)
	}
	if d.FSType != "" {
		parts = append(parts, "a "+d.FSType+" filesystem")
	}
	return fmt.Sprintf("%d partition(s): %s", len(d.Partitions), strings.Join(parts, ", "))
}

// WipeSummary describes each disk the plan erases by model, size, serial and contents, for
// the confirmation an operator must give.
func (p Plan) WipeSummary() []string {
	var out []string
	for _, d := range p.Host.Disks {
		id := d.ByID
		if id == "" {
			id = "/dev/" + d.Name
		}
		contents := "no partitions"
		if len(d.Partitions) > 0 || d.FSType != "" {
			contents = describeContents(d)
		}
		out = append(out, fmt.Sprintf("%s: %s %s, serial %s, %s — %s", d.Name, strings.TrimSpace(d.Vendor+" "+d.Model), Size(d.SizeBytes).Human(), d.Serial, id, contents))
	}
	return out
}

// Hooks returns Execute's action handlers. What they have to say (preflight findings,
// network changes, the verification, what a dry run would have done) goes to their step's
// event sink.
func (in *Installer) Hooks() map[Action]Hook {
	in.defaults()
	return map[Action]Hook{
		ActionPreflight: in.preflightHook,
		ActionNetwork:   in.networkHook,
		ActionVerify:    in.verifyHook,
		ActionSaveLog:   in.saveLogHook,
		ActionWebhook:   in.webhookHook,
	}
}

func (in *Installer) preflightHook(ctx context.Context, _ Step, ev StepEvents) error {
	var hard []string
	for _, i := range in.Preflight(ctx) {
		ev.Note(i.String())
		if i.Hard {
			hard = append(hard, i.Msg)
		}
	}
	// A dry run stops here too, with the same message: it must fail where the install would.
	if len(hard) > 0 {
		return fmt.Errorf("%w:\n  %s", ErrPreflight, strings.Join(hard, "\n  "))
	}
	return nil
}

func (in *Installer) networkHook(ctx context.Context, _ Step, ev StepEvents) error {
	c := in.Plan.Host.Network
	if in.DryRun {
		ev.Note("would apply the network live: bridge " + c.WithDefaults().Bridge)
		return nil
	}
	changes, err := in.ApplyNet(ctx, c)
	for _, ch := range changes {
		ev.Note("network: " + ch)
	}
	if err != nil {
		return fmt.Errorf("apply the network live: %w", err)
	}
	return nil
}

func (in *Installer) verifyHook(_ context.Context, _ Step, ev StepEvents) error {
	if in.DryRun {
		ev.Note("would verify the installed system in " + TargetDir)
		return nil
	}
	v := VerifyTarget(filepath.Join(in.Root, TargetDir), in.Plan.Host.Loader, in.Plan.Host.Firmware)
	ev.Verified(v)
	if !v.OK {
		return fmt.Errorf("the installed system would not boot Xen:\n%s", v)
	}
	return nil
}

func (in *Installer) saveLogHook(_ context.Context, _ Step, _ StepEvents) error {
	if in.LogPath == "" {
		return nil
	}
	b, err := os.ReadFile(in.LogPath)
	if err != nil {
		return fmt.Errorf("read install log: %w", err)
	}
	dst := filepath.Join(in.Root, TargetDir, "var/log/xennix/install.log")
	return WriteFileAtomic(dst, b, 0o600)
}

// Event names sent to the webhook.
const (
	EventStarted   = "started"
	EventSucceeded = "succeeded"
	EventFailed    = "failed"
)

func (in *Installer) webhookHook(ctx context.Context, s Step, ev StepEvents) error {
	event := EventStarted
	if s.Name == "notify-succeeded" {
		event = EventSucceeded
	}
	if hook := in.Plan.Host.Answers.Install.Webhook; in.DryRun && hook != "" {
		b, err := in.webhookBody(event, nil)
		if err != nil {
			return err
		}
		ev.Note(fmt.Sprintf("would POST %s event to %s (%d bytes)", event, redactURL(hook), len(b)))
		return nil
	}
	return in.Notify(ctx, event, nil)
}

// webhookBody is what Notify POSTs: the event, host, plan summary, hardware report and,
// for failures, the error.
func (in *Installer) webhookBody(event string, failure error) ([]byte, error) {
	body := map[string]any{
		"event":    event,
		"host":     in.Plan.Host.Answers.Host.Hostname,
		"summary":  in.Plan.Summary,
		"time":     in.Now().UTC().Format(time.RFC3339),
		"hardware": in.Report,
	}
	if failure != nil {
		body["error"] = failure.Error()
	}
	return json.Marshal(body)
}

// Notify POSTs an install event to the answers' webhook (nothing when there is none, or in
// a dry run, whose webhook step only says what it would send): see webhookBody.
func (in *Installer) Notify(ctx context.Context, event string, failure error) error {
	in.defaults()
	hook := in.Plan.Host.Answers.Install.Webhook
	if hook == "" || in.DryRun {
		return nil
	}
	b, err := in.webhookBody(event, failure)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := in.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", redactURL(hook), redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: %s", redactURL(hook), resp.Status)
	}
	return nil
}

// redactURL hides the credentials a webhook URL may carry: the user information and the
// value of every query parameter (?token=…). The scheme, host and path stay, to tell which
// webhook it was.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Not a URL (validation refuses it): show none of it.
		return "[redacted URL]"
	}
	if u.User != nil {
		u.User = url.User("[redacted]")
	}
	if u.RawQuery != "" {
		q := u.Query()
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(q)) {
			for range q[k] {
				parts = append(parts, url.QueryEscape(k)+"=[redacted]")
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if u.Fragment != "" {
		u.Fragment = "[redacted]"
	}
	s := u.String()
	// url.String escapes the brackets of the placeholder; put them back for a human.
	return strings.NewReplacer("%5Bredacted%5D", "[redacted]", "%5Bredacted URL%5D", "[redacted URL]").Replace(s)
}

// redactErr replaces the URL inside an HTTP client's error, which carries it whole.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		c := *ue
		c.URL = redactURL(ue.URL)
		return &c
	}
	return err
}

// Secrets returns the credentials in the answers that must never reach a log, the console
// or a support bundle, for Redactor and Redact: the webhook URL whole, its password and user,
// and its query values. (Passwords are hashed at once and never kept.)
func (a Answers) Secrets() []string {
	raw := a.Install.Webhook
	if raw == "" {
		return nil
	}
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if u.User != nil {
		out = append(out, u.User.String())
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw, url.QueryEscape(pw))
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			// Short values (1, on, json) are not credentials and would redact half the log.
			if len(v) >= 6 {
				out = append(out, v, url.QueryEscape(v))
			}
		}
	}
	if len(u.Fragment) >= 6 {
		out = append(out, u.Fragment)
	}
	// Longest first, so that the whole URL is replaced before its parts.
	slices.SortFunc(out, func(x, y string) int { return len(y) - len(x) })
	return slices.Compact(out)
}

// Redact replaces every occurrence of the secrets in s by [redacted].
func Redact(s string, secrets ...string) string {
	var pairs []string
	for _, x := range secrets {
		if x != "" {
			pairs = append(pairs, x, "[redacted]")
		}
	}
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// NewLog opens the structured install log (JSON lines) at path. Every string logged passes
// through the redactor, so the secrets listed are replaced by [redacted].
func NewLog(path string, secrets ...string) (*slog.Logger, io.Closer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("open install log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open install log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{ReplaceAttr: Redactor(secrets...)})), f, nil
}

// Redactor returns a slog ReplaceAttr that replaces every occurrence of the given secrets in
// string and string-list values.
func Redactor(secrets ...string) func([]string, slog.Attr) slog.Attr {
	var pairs []string
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, "[redacted]")
		}
	}
	r := strings.NewReplacer(pairs...)
	return func(_ []string, a slog.Attr) slog.Attr {
		if len(pairs) == 0 {
			return a
		}
		switch v := a.Value.Any().(type) {
		case string:
			return slog.String(a.Key, r.Replace(v))
		case []string:
			out := make([]string, len(v))
			for i, s := range v {
				out[i] = r.Replace(s)
			}
			return slog.Any(a.Key, out)
		}
		return a
	}
}
