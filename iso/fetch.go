package iso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MaxAnswersSize is the largest answers file accepted from any source. A real one is a few
// KiB; the limit keeps a confused server from filling memory.
const MaxAnswersSize = 1 << 20

// Defaults of a Fetcher's zero fields.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultAttemptTimeout = 60 * time.Second
	DefaultAttempts       = 5
	DefaultMinBackoff     = 1 * time.Second
	DefaultMaxBackoff     = 16 * time.Second
)

var (
	// ErrDigestMismatch means the answers' SHA-256 differs from the pinned one.
	ErrDigestMismatch = errors.New("sha256 mismatch")
	// ErrPinMismatch means the server's certificate key is not the pinned one.
	ErrPinMismatch = errors.New("tls public key pin mismatch")
	// ErrTooLarge means the answers are larger than MaxAnswersSize.
	ErrTooLarge = errors.New("answers too large")
)

// StatusError is an HTTP response other than 200 OK.
type StatusError struct {
	StatusCode int
	Status     string // e.g. "404 Not Found"
	Body       string // the start of the response body, printable characters only
}

// Error returns e as "HTTP 404 Not Found: <body>".
func (e *StatusError) Error() string {
	if e.Body == "" {
		return "HTTP " + e.Status
	}
	return fmt.Sprintf("HTTP %s: %s", e.Status, e.Body)
}

// Fetcher fetches answers files. Its zero value is ready to use with the defaults above.
type Fetcher struct {
	// Report returns the JSON that is POSTed to an http(s) answers URL: the machine's
	// hardware report, so that a server can answer per machine. It is called once per
	// Fetch. When nil, "{}" is posted.
	Report func() ([]byte, error)

	// ConnectTimeout bounds the TCP connection and the TLS handshake of each attempt.
	ConnectTimeout time.Duration
	// AttemptTimeout bounds each attempt as a whole, reading the body included.
	AttemptTimeout time.Duration
	// Attempts is how many times a transient failure (a network error, a timeout, HTTP
	// 408, 429 or 5xx) is tried in all.
	Attempts int
	// MinBackoff and MaxBackoff bound the wait between attempts, which doubles from
	// MinBackoff up to MaxBackoff and is jittered to between half of that and all of it;
	// a longer Retry-After (in seconds) is honoured up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration

	// Sleep waits between attempts; nil waits on a timer, returning early with the
	// context's error. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns the jitter, a number in [0, 1); nil uses math/rand/v2.
	Rand func() float64
	// RootCAs verifies servers without a pin; nil uses the system's roots.
	RootCAs *x509.CertPool
	// UserAgent is sent in the User-Agent header; empty sends "xennix".
	UserAgent string
	// Logf, when not nil, receives progress: each failed attempt and the wait before the
	// next one.
	Logf func(format string, args ...any)
}

// Fetch returns the answers req names, checked against req.SHA256 when that is set.
//
// An http(s) URL gets a POST of the hardware report (Content-Type application/json) with
// "Authorization: Bearer <token>" when req.Token is set, and must answer 200 OK with at
// most MaxAnswersSize bytes. Transient failures are retried (see Fetcher.Attempts);
// anything else — another 4xx, a certificate or pin that does not verify, a hash
// mismatch, an oversized body — fails at once. Errors name the URL and the attempt.
//
// A file: location is read as it is given; the caller adds any root directory.
func (f *Fetcher) Fetch(ctx context.Context, req Request) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	switch {
	case req.Location.Path != "":
		data, err = readLimited(req.Location.Path)
		if err != nil {
			return nil, fmt.Errorf("read answers: %w", err)
		}
	case req.Location.URL != nil:
		data, err = f.fetchHTTP(ctx, req)
		if err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("fetch answers: no location given")
	}
	if err := checkDigest(data, req.SHA256); err != nil {
		return nil, fmt.Errorf("answers from %s: %w", req.Location, err)
	}
	return data, nil
}

// checkDigest compares the SHA-256 of data with want, when want is set.
func checkDigest(data []byte, want Digest) error {
	if want.IsZero() {
		return nil
	}
	got := Digest(sha256.Sum256(data))
	if got != want {
		return fmt.Errorf("%w: got %s, want %s (%s)", ErrDigestMismatch, got, want, ParamSHA256)
	}
	return nil
}

// readLimited reads a file of at most MaxAnswersSize bytes. Its errors name the path.
func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := readAll(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAnswersSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxAnswersSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxAnswersSize)
	}
	if len(data) == 0 {
		return nil, errEmpty
	}
	return data, nil
}

// permanent marks an error that another attempt would not change.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

func (f *Fetcher) fetchHTTP(ctx context.Context, req Request) ([]byte, error) {
	report := []byte("{}")
	if f.Report != nil {
		r, err := f.Report()
		if err != nil {
			return nil, fmt.Errorf("fetch answers from %s: hardware report: %w", req.Location, err)
		}
		if !json.Valid(r) {
			return nil, fmt.Errorf("fetch answers from %s: the hardware report is not valid JSON", req.Location)
		}
		report = r
	}
	client := f.client(req)
	defer client.CloseIdleConnections()

	attempts := orDefault(f.Attempts, DefaultAttempts)
	for attempt := 1; ; attempt++ {
		data, retryAfter, err := f.attempt(ctx, client, req, report)
		if err == nil {
			return data, nil
		}
		var p permanent
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("fetch answers from %s (attempt %d of %d): %w", req.Location, attempt, attempts, err)
		case errors.As(err, &p):
			return nil, fmt.Errorf("fetch answers from %s (attempt %d of %d, not retried): %w", req.Location, attempt, attempts, p.err)
		case attempt >= attempts:
			return nil, fmt.Errorf("fetch answers from %s (attempt %d of %d, giving up): %w", req.Location, attempt, attempts, err)
		}
		wait := f.backoff(attempt, retryAfter)
		f.logf("answers: %s: attempt %d of %d failed: %v; retrying in %s", req.Location, attempt, attempts, err, wait.Round(time.Millisecond))
		if err := f.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("fetch answers from %s (attempt %d of %d): %w", req.Location, attempt, attempts, err)
		}
	}
}

// attempt makes one request. It returns the Retry-After delay the server asked for, if
// any.
func (f *Fetcher) attempt(ctx context.Context, client *http.Client, req Request, report []byte) ([]byte, time.Duration, error) {
	timeout := orDefault(f.AttemptTimeout, DefaultAttemptTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.Location.URL.String(), bytes.NewReader(report))
	if err != nil {
		return nil, 0, permanent{err}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/yaml, text/yaml;q=0.9, */*;q=0.1")
	ua := f.UserAgent
	if ua == "" {
		ua = "xennix"
	}
	hreq.Header.Set("User-Agent", ua)
	if req.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.Token)
	}

	resp, err := client.Do(hreq)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, 0, fmt.Errorf("no complete answer within %s: %w", timeout, err)
		}
		return nil, 0, classify(err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		serr := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Body: printable(snippet, 200)}
		if retryableStatus(resp.StatusCode) {
			return nil, retryAfter(resp.Header.Get("Retry-After")), serr
		}
		return nil, 0, permanent{serr}
	}
	if resp.ContentLength > MaxAnswersSize {
		return nil, 0, permanent{fmt.Errorf("%w: the server announces %d bytes, the limit is %d", ErrTooLarge, resp.ContentLength, MaxAnswersSize)}
	}
	data, err := readAll(resp.Body)
	switch {
	case errors.Is(err, ErrTooLarge):
		return nil, 0, permanent{err}
	case err != nil && ctx.Err() == context.DeadlineExceeded:
		return nil, 0, fmt.Errorf("no complete answer within %s: %w", timeout, err)
	case errors.Is(err, errEmpty):
		return nil, 0, permanent{fmt.Errorf("the server answered %s with an empty body", resp.Status)}
	case err != nil:
		return nil, 0, fmt.Errorf("read the response: %w", err)
	}
	return data, 0, nil
}

// classify marks the transport errors that would fail the same way again.
func classify(err error) error {
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrPinMismatch), errors.Is(err, errRedirect),
		errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &herr), errors.As(err, &cerr):
		return permanent{err}
	}
	return err
}

// retryableStatus reports the statuses worth another try: request timeout, too many
// requests, and server errors (RFC 9110 §15.5.9, RFC 6585 §4, RFC 9110 §15.6).
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// retryAfter parses a Retry-After header in its delay-seconds form (RFC 9110 §10.2.3);
// the HTTP-date form is ignored.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// backoff returns the wait after the given failed attempt (1-based): MinBackoff doubled
// per attempt, capped at MaxBackoff, with "equal jitter" (half fixed, half random) so
// that machines booted together do not retry together.
func (f *Fetcher) backoff(attempt int, serverWants time.Duration) time.Duration {
	lo := orDefault(f.MinBackoff, DefaultMinBackoff)
	hi := orDefault(f.MaxBackoff, DefaultMaxBackoff)
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	r := rand.Float64
	if f.Rand != nil {
		r = f.Rand
	}
	d = d/2 + time.Duration(r()*float64(d/2))
	if serverWants > d {
		d = min(serverWants, hi)
	}
	return d
}

func (f *Fetcher) sleep(ctx context.Context, d time.Duration) error {
	if f.Sleep != nil {
		return f.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Logf != nil {
		f.Logf(format, args...)
	}
}

var (
	errRedirect = errors.New("redirect refused")
	errEmpty    = errors.New("the answers are empty")
)

// client builds the HTTP client for one Fetch: its own transport, so the TLS settings of
// one request never leak into another.
func (f *Fetcher) client(req Request) *http.Client {
	connect := orDefault(f.ConnectTimeout, DefaultConnectTimeout)
	tlsConfig := &tls.Config{RootCAs: f.RootCAs, MinVersion: tls.VersionTLS12}
	if !req.TLSPin.IsZero() {
		// With a pin the key is the trust anchor: chain and name verification are off,
		// and VerifyConnection (which crypto/tls calls even with InsecureSkipVerify)
		// accepts the server only if its leaf certificate's SubjectPublicKeyInfo hashes
		// to the pin — the same check as HPKP (RFC 7469 §2.4) and curl's --pinnedpubkey.
		tlsConfig.InsecureSkipVerify = true
		pin := req.TLSPin
		tlsConfig.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: the server sent no certificate", ErrPinMismatch)
			}
			got := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if subtle.ConstantTimeCompare(got[:], pin[:]) != 1 {
				return fmt.Errorf("%w: the server's key is sha256 %s, the pin (%s) is %s",
					ErrPinMismatch, Digest(got), ParamTLSPin, pin)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: connect,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        1,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: more than 5 redirects", errRedirect)
			}
			if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
				// file:, ftp:, …: refused at once, not retried as if the network failed.
				return fmt.Errorf("%w: to a %s: URL", errRedirect, r.URL.Scheme)
			}
			if via[0].URL.Scheme == "https" && r.URL.Scheme != "https" {
				return fmt.Errorf("%w: from https to %s", errRedirect, r.URL.Redacted())
			}
			return nil
		},
	}
}

// printable returns at most n runes of b, with control characters dropped and white space
// folded, for an error message.
func printable(b []byte, n int) string {
	var sb strings.Builder
	count := 0
	space := false
	for _, r := range string(b) {
		if count >= n {
			sb.WriteString("…")
			break
		}
		switch {
		case unicode.IsSpace(r):
			space = sb.Len() > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
		count++
	}
	return sb.String()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
