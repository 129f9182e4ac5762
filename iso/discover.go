package iso

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoAnswers means discovery found no answers anywhere: the installer goes interactive.
var ErrNoAnswers = errors.New("no answers found: none on the kernel command line, in DNS or on a volume labelled " + VolumeLabel)

// DNSName is the first label of the DNS name whose TXT record names an answers URL: it is
// looked up as xennix-answers.<domain> for each search domain of resolv.conf.
const DNSName = "xennix-answers"

// DefaultDNSTimeout bounds each DNS TXT lookup.
const DefaultDNSTimeout = 5 * time.Second

// SourceKind says which discovery step found the answers.
type SourceKind int

// The discovery steps, in the order Discover tries them.
const (
	SourceNone    SourceKind = iota
	SourceCmdline            // xennix.answers= on the kernel command line
	SourceDNS                // a TXT record xennix-answers.<search domain>
	SourceVolume             // answers.yaml on a volume labelled XENNIX-ANS
)

// String returns a short description for a log.
func (k SourceKind) String() string {
	switch k {
	case SourceCmdline:
		return "kernel command line"
	case SourceDNS:
		return "DNS"
	case SourceVolume:
		return "volume " + VolumeLabel
	}
	return "none"
}

// Source says where answers came from, for the install log.
type Source struct {
	Kind SourceKind
	// Location is the URL (password redacted), file: path, or device the answers were read
	// from.
	Location string
	// Via is how the location was found: the DNS name of the TXT record, or the by-label
	// link of the volume; empty for the kernel command line.
	Via string
	// SHA256 is the hash of the answers read.
	SHA256 Digest
}

// String returns s for a log, e.g.
// "DNS xennix-answers.example.com.: https://deploy.example.com/answers (sha256 …)".
func (s Source) String() string {
	if s.Kind == SourceNone {
		return "none"
	}
	via := s.Kind.String()
	if s.Via != "" {
		via += " " + s.Via
	}
	return fmt.Sprintf("%s: %s (sha256 %s)", via, s.Location, s.SHA256)
}

// Options configure Discover.
type Options struct {
	// Root is the filesystem root: proc/cmdline, etc/resolv.conf, dev/disk/by-label and
	// file: paths are read below it. Empty means "/".
	Root string
	// Fetcher fetches URLs and files; nil uses a zero Fetcher, which posts "{}" instead of
	// a hardware report.
	Fetcher *Fetcher
	// LookupTXT looks up TXT records; nil uses net.DefaultResolver. Tests replace it.
	LookupTXT func(ctx context.Context, name string) ([]string, error)
	// DNSTimeout bounds each TXT lookup; zero means DefaultDNSTimeout.
	DNSTimeout time.Duration
	// Logf, when not nil, receives what discovery tried and any warnings.
	Logf func(format string, args ...any)
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Options) path(p string) string {
	root := o.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, p)
}

// Discover finds the answers for an unattended install, trying in order:
//
//  1. the kernel command line (<root>/proc/cmdline, see ParseCmdline): its URL or file;
//  2. when the command line names none, a DNS TXT record xennix-answers.<domain> for each
//     search domain in <root>/etc/resolv.conf, whose value is an http(s) URL optionally
//     followed by "sha256=<hex>" and "tlspin=<pin>" (see ParseTXT);
//  3. answers.yaml on the filesystem <root>/dev/disk/by-label/XENNIX-ANS, read with
//     the bounded FAT reader of fat.go from the device opened read-only (nothing is mounted).
//
// A step that names answers is final: if fetching them fails, Discover returns that error
// rather than trying the next step, because installing something other than what was
// asked for is worse than stopping. A DNS lookup that fails is only logged. When no step
// names answers the error is ErrNoAnswers, and the installer asks interactively.
func Discover(ctx context.Context, opts Options) (Source, []byte, error) {
	fetcher := opts.Fetcher
	if fetcher == nil {
		fetcher = &Fetcher{}
	}
	if fetcher.Logf == nil {
		f := *fetcher
		f.Logf = opts.Logf
		fetcher = &f
	}

	// 1. The kernel command line.
	cmdline, err := os.ReadFile(opts.path("proc/cmdline"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		opts.logf("answers: no %s; skipping the kernel command line", opts.path("proc/cmdline"))
	case err != nil:
		return Source{}, nil, fmt.Errorf("answers: %w", err)
	}
	c, warnings, err := ParseCmdline(string(cmdline))
	for _, w := range warnings {
		opts.logf("answers: warning: %s", w)
	}
	if err != nil {
		return Source{}, nil, fmt.Errorf("answers: kernel command line: %w", err)
	}
	if !c.Location.IsZero() {
		req := c.Request
		if req.Location.Path != "" {
			req.Location.Path = opts.path(req.Location.Path)
		}
		opts.logf("answers: fetching %s (kernel command line)", c.Location)
		data, err := fetcher.Fetch(ctx, req)
		if err != nil {
			return Source{}, nil, err
		}
		return Source{Kind: SourceCmdline, Location: c.Location.String(), SHA256: sha256.Sum256(data)}, data, nil
	}

	// 2. DNS.
	if src, data, found, err := discoverDNS(ctx, &opts, fetcher); found || err != nil {
		return src, data, err
	}

	// 3. A labelled volume.
	link := opts.path("dev/disk/by-label/" + VolumeLabel)
	if _, err := os.Lstat(link); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			opts.logf("answers: no volume labelled %s", VolumeLabel)
			return Source{}, nil, ErrNoAnswers
		}
		return Source{}, nil, fmt.Errorf("answers: %w", err)
	}
	dev, err := filepath.EvalSymlinks(link)
	if err != nil {
		return Source{}, nil, fmt.Errorf("answers: volume %s: %w", VolumeLabel, err)
	}
	opts.logf("answers: reading %s from %s (labelled %s)", AnswersFileName, dev, VolumeLabel)
	data, err := ReadAnswersMedia(dev)
	if err != nil {
		return Source{}, nil, fmt.Errorf("answers: volume %s: %w", VolumeLabel, err)
	}
	return Source{Kind: SourceVolume, Location: dev + ":" + AnswersFileName, Via: link, SHA256: sha256.Sum256(data)}, data, nil
}

// discoverDNS tries the TXT record of each search domain. found is true when a record
// named answers (then err says whether fetching them failed).
func discoverDNS(ctx context.Context, opts *Options, fetcher *Fetcher) (src Source, data []byte, found bool, err error) {
	conf, err := os.ReadFile(opts.path("etc/resolv.conf"))
	if err != nil {
		opts.logf("answers: no DNS search domains (%v); skipping DNS", err)
		return Source{}, nil, false, nil
	}
	domains := SearchDomains(conf)
	if len(domains) == 0 {
		opts.logf("answers: resolv.conf has no search domain; skipping DNS")
		return Source{}, nil, false, nil
	}
	lookup := opts.LookupTXT
	if lookup == nil {
		lookup = net.DefaultResolver.LookupTXT
	}
	timeout := orDefault(opts.DNSTimeout, DefaultDNSTimeout)
	for _, domain := range domains {
		// A trailing dot makes the name absolute, so the resolver does not append the
		// search domains a second time.
		name := DNSName + "." + domain + "."
		lctx, cancel := context.WithTimeout(ctx, timeout)
		records, err := lookup(lctx, name)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return Source{}, nil, true, fmt.Errorf("answers: DNS TXT %s: %w", name, ctx.Err())
			}
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				opts.logf("answers: no DNS TXT record %s", name)
			} else {
				opts.logf("answers: DNS TXT %s: %v (skipped)", name, err)
			}
			continue
		}
		if len(records) == 0 {
			opts.logf("answers: no DNS TXT record %s", name)
			continue
		}
		if len(records) > 1 {
			return Source{}, nil, true, fmt.Errorf("answers: DNS TXT %s has %d records (%q); want exactly one", name, len(records), records)
		}
		req, warnings, err := ParseTXT(records[0])
		for _, w := range warnings {
			opts.logf("answers: warning: DNS TXT %s: %s", name, w)
		}
		if err != nil {
			return Source{}, nil, true, fmt.Errorf("answers: DNS TXT %s: %w", name, err)
		}
		opts.logf("answers: fetching %s (DNS TXT %s)", req.Location, name)
		data, err := fetcher.Fetch(ctx, req)
		if err != nil {
			return Source{}, nil, true, fmt.Errorf("answers: DNS TXT %s: %w", name, err)
		}
		return Source{Kind: SourceDNS, Location: req.Location.String(), Via: name, SHA256: sha256.Sum256(data)}, data, true, nil
	}
	return Source{}, nil, false, nil
}

// ParseTXT parses the value of a xennix-answers TXT record: an http or https URL,
// optionally followed by space-separated "sha256=<64 hex digits>" and "tlspin=<pin>" (as
// the kernel parameters xennix.answers.sha256 and .tlspin). Unknown keys are warnings. A
// token is not accepted: DNS is public.
func ParseTXT(record string) (Request, []string, error) {
	fields := strings.Fields(record)
	if len(fields) == 0 {
		return Request{}, nil, errors.New("the record is empty")
	}
	loc, err := ParseLocation(fields[0])
	if err != nil {
		return Request{}, nil, err
	}
	if loc.URL == nil {
		return Request{}, nil, fmt.Errorf("%q: a DNS record must name an http(s) URL, not a local file", fields[0])
	}
	req := Request{Location: loc}
	var (
		warnings []string
		errs     []error
	)
	for _, f := range fields[1:] {
		key, value, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("%q ignored (want key=value)", f))
		case key == "sha256":
			d, err := ParseDigest(value)
			if err != nil {
				errs = append(errs, fmt.Errorf("sha256: %w", err))
			}
			req.SHA256 = d
		case key == "tlspin":
			d, err := ParsePin(value)
			if err != nil {
				errs = append(errs, fmt.Errorf("tlspin: %w", err))
			}
			req.TLSPin = d
		default:
			warnings = append(warnings, fmt.Sprintf("unknown key %q ignored (known: sha256, tlspin)", key))
		}
	}
	if len(errs) > 0 {
		return Request{}, warnings, errors.Join(errs...)
	}
	w, err := req.check()
	warnings = append(warnings, w...)
	if err != nil {
		return Request{}, warnings, err
	}
	return req, warnings, nil
}

// SearchDomains returns the search domains of a resolv.conf: the names of its last
// "search" or "domain" line (resolv.conf(5): the two are exclusive and the last one
// wins), without trailing dots, skipping the root domain.
func SearchDomains(resolvConf []byte) []string {
	var domains []string
	sc := bufio.NewScanner(bytes.NewReader(resolvConf))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		fields := strings.Fields(line)
		switch fields[0] {
		case "search", "domain":
			domains = domains[:0]
			for _, d := range fields[1:] {
				if d[0] == '#' || d[0] == ';' {
					break
				}
				if d = strings.TrimSuffix(d, "."); d != "" {
					domains = append(domains, d)
				}
			}
			if fields[0] == "domain" && len(domains) > 1 {
				domains = domains[:1]
			}
		}
	}
	return domains
}
