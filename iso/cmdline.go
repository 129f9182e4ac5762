package iso

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// Kernel command-line parameters this package reads. A parameter with a dot is not passed
// to init but stays in /proc/cmdline (Documentation/admin-guide/kernel-parameters.rst,
// "module.parameter" form), so the installer reads them from there.
const (
	ParamAnswers = "xennix.answers"        // URL or file:PATH of the answers file
	ParamSHA256  = "xennix.answers.sha256" // SHA-256 of the answers file, 64 hex digits
	ParamToken   = "xennix.answers.token"  // bearer token sent to an http(s) answers URL
	ParamTLSPin  = "xennix.answers.tlspin" // SHA-256 of the server certificate's SubjectPublicKeyInfo
)

// knownParams lists every xennix.* parameter; anything else under xennix. is a warning.
var knownParams = map[string]bool{
	ParamAnswers: true,
	ParamSHA256:  true,
	ParamToken:   true,
	ParamTLSPin:  true,
}

// Digest is a SHA-256 hash. The zero Digest means "none given".
type Digest [sha256.Size]byte

// IsZero reports whether d is the zero Digest, i.e. no hash was given.
func (d Digest) IsZero() bool { return d == Digest{} }

// String returns d as 64 lowercase hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// ParseDigest parses a SHA-256 hash written as 64 hex digits (either case), the form
// sha256sum prints.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 2*sha256.Size {
		return d, fmt.Errorf("%q is %d characters, want 64 hex digits (sha256sum output)", s, len(s))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("%q is not hex: %w", s, err)
	}
	if d.IsZero() {
		return d, errAllZero
	}
	return d, nil
}

// errAllZero refuses a hash of all zeros, which no file or key has: the zero Digest means
// "none given", so accepting it would silently turn the check off.
var errAllZero = errors.New("all zeros: that is no SHA-256 of anything, and would turn the check off")

// ParsePin parses a TLS public-key pin: the SHA-256 of a certificate's DER-encoded
// SubjectPublicKeyInfo, as 64 hex digits or as base64 (44 characters padded, 43 unpadded,
// standard or URL alphabet). Base64 is what HPKP (RFC 7469 §2.4) and curl's
// --pinnedpubkey "sha256//…" use:
//
//	openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER |
//	  openssl dgst -sha256 -binary | base64
//
// and hex is the same pipeline ending in `sha256sum` instead. The two never collide:
// hex is 64 characters long, base64 of 32 bytes at most 44.
func ParsePin(s string) (Digest, error) {
	if len(s) == 2*sha256.Size {
		return ParseDigest(s)
	}
	var d Digest
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil && len(b) == sha256.Size {
			copy(d[:], b)
			if d.IsZero() {
				return d, errAllZero
			}
			return d, nil
		}
	}
	return d, fmt.Errorf("%q is neither 64 hex digits nor the base64 of 32 bytes (a SHA-256 of the certificate's SubjectPublicKeyInfo)", s)
}

// Location is where an answers file is: an http(s) URL or an absolute local path. Exactly
// one of URL and Path is set; the zero Location means "none".
type Location struct {
	URL  *url.URL // http or https, with a host
	Path string   // an absolute, cleaned path
}

// ParseLocation parses "http://…", "https://…", "file:/abs/path" or "file:///abs/path".
func ParseLocation(s string) (Location, error) {
	if rest, ok := cutPrefixFold(s, "file:"); ok {
		if strings.HasPrefix(rest, "//") {
			// file:///path — an empty host is the only one that means this machine
			// (RFC 8089 §2).
			rest = rest[2:]
			if !strings.HasPrefix(rest, "/") {
				return Location{}, fmt.Errorf("%q: a file URL must not name a host (want file:/path or file:///path)", s)
			}
		}
		if !filepath.IsAbs(rest) {
			return Location{}, fmt.Errorf("%q: want an absolute path after \"file:\"", s)
		}
		return Location{Path: filepath.Clean(rest)}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("%q: %w", s, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return Location{}, fmt.Errorf("%q: want an http:// or https:// URL, or file:/absolute/path", s)
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("%q: the URL has no host", s)
	}
	return Location{URL: u}, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// IsZero reports whether l names no location.
func (l Location) IsZero() bool { return l.URL == nil && l.Path == "" }

// IsHTTPS reports whether l is an https URL.
func (l Location) IsHTTPS() bool { return l.URL != nil && l.URL.Scheme == "https" }

// String returns l for a log: a URL with any password redacted, or file:PATH.
func (l Location) String() string {
	switch {
	case l.URL != nil:
		return l.URL.Redacted()
	case l.Path != "":
		return "file:" + l.Path
	}
	return ""
}

// Request is everything needed to fetch an answers file: where it is and how to check it.
type Request struct {
	Location Location
	// SHA256, when not zero, is the hash the answers must have; anything else is refused.
	SHA256 Digest
	// Token, when not empty, is sent as "Authorization: Bearer <Token>" (RFC 6750 §2.1).
	Token string
	// TLSPin, when not zero, is the SHA-256 of the server certificate's
	// SubjectPublicKeyInfo. The server is then trusted only if its leaf certificate's key
	// matches, whoever signed it (a private CA or a self-signed certificate works), and
	// never otherwise.
	TLSPin Digest
}

// Cmdline is what the kernel command line says about answers.
type Cmdline struct {
	// Request is where the answers are and how to check them; its Location is zero when
	// the command line names none.
	Request
}

// ParseCmdline parses a kernel command line (the contents of /proc/cmdline) for the
// xennix.* parameters. It splits and unquotes the way the kernel does (lib/cmdline.c,
// next_arg: a double quote toggles quoting, so `xennix.answers.token="a b"` is one
// parameter whose value is `a b`; quotes around a whole parameter are dropped too), stops
// at "--" (what follows is init's; kernel-parameters.rst), and lets the last of repeated
// parameters win. An empty value (`xennix.answers=`) unsets an earlier one, so a boot
// entry can append it to turn discovery off.
//
// Warnings are things that do not stop the install but belong in its log: unknown
// xennix.* parameters, repeats, pins given without a location, a token sent in the clear.
// The error joins every invalid value, each naming its parameter.
func ParseCmdline(cmdline string) (Cmdline, []string, error) {
	var (
		c        Cmdline
		warnings []string
		errs     []error
		values   = map[string]string{}
		counts   = map[string]int{}
		unknown  []string
	)
	for _, p := range splitCmdline(cmdline) {
		if !strings.HasPrefix(p.key, "xennix.") {
			continue
		}
		if !knownParams[p.key] {
			if counts[p.key] == 0 {
				unknown = append(unknown, p.key)
			}
			counts[p.key]++
			continue
		}
		if !p.hasValue {
			errs = append(errs, fmt.Errorf("%s: needs a value (%s=…)", p.key, p.key))
			continue
		}
		values[p.key] = p.value
		counts[p.key]++
	}
	for _, k := range unknown {
		warnings = append(warnings, fmt.Sprintf("unknown kernel parameter %s ignored (known: %s)", k, strings.Join(sortedKeys(knownParams), ", ")))
	}
	for _, k := range sortedKeys(knownParams) {
		if counts[k] > 1 {
			warnings = append(warnings, fmt.Sprintf("%s given %d times; the last one wins", k, counts[k]))
		}
	}

	if v := values[ParamAnswers]; v != "" {
		loc, err := ParseLocation(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ParamAnswers, err))
		}
		c.Location = loc
	}
	if v := values[ParamSHA256]; v != "" {
		d, err := ParseDigest(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ParamSHA256, err))
		}
		c.SHA256 = d
	}
	if v := values[ParamToken]; v != "" {
		if err := checkToken(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ParamToken, err))
		}
		c.Token = v
	}
	if v := values[ParamTLSPin]; v != "" {
		d, err := ParsePin(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ParamTLSPin, err))
		}
		c.TLSPin = d
	}
	if len(errs) > 0 {
		return Cmdline{}, warnings, errors.Join(errs...)
	}

	w, err := c.Request.check()
	warnings = append(warnings, w...)
	if err != nil {
		return Cmdline{}, warnings, err
	}
	return c, warnings, nil
}

// check looks at how the fields of r fit together: it drops what cannot apply (with a
// warning) and refuses a TLS pin on a URL that has no TLS.
func (r *Request) check() ([]string, error) {
	var warnings []string
	if r.Location.IsZero() {
		for _, f := range []struct {
			name string
			set  bool
		}{{ParamSHA256, !r.SHA256.IsZero()}, {ParamToken, r.Token != ""}, {ParamTLSPin, !r.TLSPin.IsZero()}} {
			if f.set {
				warnings = append(warnings, fmt.Sprintf("%s given without %s; ignored", f.name, ParamAnswers))
			}
		}
		*r = Request{}
		return warnings, nil
	}
	if r.Location.Path != "" {
		if r.Token != "" {
			warnings = append(warnings, fmt.Sprintf("%s is ignored for a file: location", ParamToken))
			r.Token = ""
		}
		if !r.TLSPin.IsZero() {
			warnings = append(warnings, fmt.Sprintf("%s is ignored for a file: location", ParamTLSPin))
			r.TLSPin = Digest{}
		}
		return warnings, nil
	}
	if !r.Location.IsHTTPS() {
		if !r.TLSPin.IsZero() {
			// A pin asks for an authenticated server; plain http cannot give one, and
			// quietly ignoring the pin would be worse than stopping.
			return warnings, fmt.Errorf("%s: %s is not an https URL, so there is no certificate to pin", ParamTLSPin, r.Location)
		}
		if r.Token != "" {
			warnings = append(warnings, fmt.Sprintf("%s is sent unencrypted to %s (use https)", ParamToken, r.Location))
		}
		if r.Token == "" && r.SHA256.IsZero() {
			// Answers found by discovery can erase disks unattended; over plain http anyone
			// on the path (or who can answer for the name) would decide what is installed.
			return warnings, fmt.Errorf("%w: %s is plain http with neither %s nor %s: use https, or pin the file with %s=<sha256sum of it>", ErrUntrusted, r.Location, ParamSHA256, ParamToken, ParamSHA256)
		}
	}
	return warnings, nil
}

// ErrUntrusted is wrapped when discovered answers would come from a source nothing
// authenticates: plain http without a sha256 pin or a token.
var ErrUntrusted = errors.New("refused: answers that can erase disks need a trusted source")

// checkToken accepts the b64token syntax of RFC 6750 §2.1, which also keeps the token
// from smuggling anything into the HTTP header.
func checkToken(t string) error {
	body := strings.TrimRight(t, "=")
	if body == "" {
		return errors.New("the token is empty")
	}
	for _, c := range body {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return fmt.Errorf("the token has %q; a bearer token is letters, digits and -._~+/ with optional trailing = (RFC 6750 §2.1)", c)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// param is one kernel command-line parameter.
type param struct {
	key, value string
	hasValue   bool
}

// splitCmdline splits a command line the way the kernel's next_arg (lib/cmdline.c) and
// parse_args (kernel/params.c) do: parameters are separated by unquoted white space; a
// double quote toggles quoting; the value starts after the first "="; a value that starts
// with a quote loses it and a trailing quote; a parameter that starts with a quote loses it
// and a trailing quote; a bare "--" ends the kernel's parameters.
func splitCmdline(s string) []param {
	var out []param
	s = strings.TrimLeft(s, cmdlineSpace)
	for s != "" {
		quoted, inQuote := false, false
		if s[0] == '"' {
			s = s[1:]
			quoted, inQuote = true, true
		}
		i, equals := 0, 0
		for ; i < len(s); i++ {
			c := s[i]
			if strings.IndexByte(cmdlineSpace, c) >= 0 && !inQuote {
				break
			}
			// As in the kernel, an "=" at index 0 does not count: "=x" is a key.
			if equals == 0 && c == '=' {
				equals = i
			}
			if c == '"' {
				inQuote = !inQuote
			}
		}
		tok := s[:i]
		p := param{key: tok}
		valueUnquoted := false
		if equals > 0 {
			p.key, p.value, p.hasValue = tok[:equals], tok[equals+1:], true
			if strings.HasPrefix(p.value, `"`) {
				p.value = p.value[1:]
				p.value = strings.TrimSuffix(p.value, `"`)
				valueUnquoted = true
			}
		}
		if quoted && !valueUnquoted {
			if p.hasValue {
				p.value = strings.TrimSuffix(p.value, `"`)
			} else {
				p.key = strings.TrimSuffix(p.key, `"`)
			}
		}
		if !p.hasValue && p.key == "--" {
			break
		}
		if tok != "" || quoted {
			out = append(out, p)
		}
		s = strings.TrimLeft(s[i:], cmdlineSpace)
	}
	return out
}

// cmdlineSpace is what the kernel's isspace() takes for white space in ASCII.
const cmdlineSpace = " \t\n\v\f\r"
