package iso

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const zeroHex = "0000000000000000000000000000000000000000000000000000000000000000"

// TestDiscoveryTrust: answers found by discovery can erase disks unattended, so a source
// nothing authenticates is refused: plain http needs a sha256 pin or a token (DNS, which is
// public, takes no token); an all-zero sha256 or TLS pin, which would turn its check off,
// is refused rather than read as "none given".
func TestDiscoveryTrust(t *testing.T) {
	zero64 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cmdline := []struct {
		in, err string
	}{
		{"xennix.answers=http://10.0.0.1/a", "plain http with neither"},
		{"xennix.answers=http://10.0.0.1:8080/a?x=1", "plain http with neither"},
		{"xennix.answers=HTTP://h/a", "plain http with neither"},
		{"xennix.answers=http://h/a xennix.answers.sha256=" + zeroHex, "all zeros"},
		{"xennix.answers=https://h/a xennix.answers.sha256=" + zeroHex, "all zeros"},
		{"xennix.answers=https://h/a xennix.answers.tlspin=" + zeroHex, "all zeros"},
		{"xennix.answers=https://h/a xennix.answers.tlspin=" + zero64, "all zeros"},
		{"xennix.answers=https://h/a xennix.answers.tlspin=" + strings.TrimRight(zero64, "="), "all zeros"},
		{"xennix.answers=http://h/a", "use https, or pin the file"},
		// Trusted enough:
		{"xennix.answers=https://h/a", ""},
		{"xennix.answers=http://h/a xennix.answers.sha256=" + hexA, ""},
		{"xennix.answers=http://h/a xennix.answers.token=t0k3n", ""},
		{"xennix.answers=file:/a.yaml", ""},
	}
	for _, tc := range cmdline {
		_, _, err := ParseCmdline(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseCmdline(%q) = %v, want it accepted", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseCmdline(%q) = %v, want an error with %q", tc.in, err, tc.err)
		}
		if strings.Contains(tc.err, "plain http") && !errors.Is(err, ErrUntrusted) {
			t.Errorf("ParseCmdline(%q) = %v, want ErrUntrusted", tc.in, err)
		}
	}
	txt := []struct {
		in, err string
	}{
		{"http://h/a", "plain http with neither"},
		{"http://h/a tlspin=" + hexA, "not an https URL"},
		{"http://h/a sha256=" + zeroHex, "all zeros"},
		{"https://h/a sha256=" + zeroHex, "all zeros"},
		{"https://h/a tlspin=" + zero64, "all zeros"},
		{"http://h/a token=t0k3n", "plain http with neither"}, // no tokens in public DNS
		{"https://h/a", ""},
		{"http://h/a sha256=" + hexA, ""},
	}
	for _, tc := range txt {
		_, _, err := ParseTXT(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseTXT(%q) = %v, want it accepted", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseTXT(%q) = %v, want an error with %q", tc.in, err, tc.err)
		}
	}
}

// TestDiscoverRefusesPlainHTTPFromDNS: a TXT record naming a plain-http URL without a pin
// stops discovery with the reason, and nothing is fetched from it.
func TestDiscoverRefusesPlainHTTPFromDNS(t *testing.T) {
	srv, requests := answersServer(t, testAnswers)
	root := fakeRoot(t, map[string]string{"proc/cmdline": "quiet", "etc/resolv.conf": "search example.com\n"})
	opts := testOptions(t, root)
	opts.LookupTXT = func(ctx context.Context, name string) ([]string, error) {
		return []string{srv.URL + "/by-dns"}, nil
	}
	_, data, err := Discover(context.Background(), opts)
	if !errors.Is(err, ErrUntrusted) || data != nil || !strings.Contains(err.Error(), "DNS TXT xennix-answers.example.com.") {
		t.Errorf("Discover = %q, %v; want ErrUntrusted naming the record", data, err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d request(s) to the untrusted URL", n)
	}
	// The same with the file's hash pinned is fetched.
	sum := Digest(sha256.Sum256([]byte(testAnswers)))
	opts.LookupTXT = func(ctx context.Context, name string) ([]string, error) {
		return []string{srv.URL + "/by-dns sha256=" + sum.String()}, nil
	}
	if _, data, err := Discover(context.Background(), opts); err != nil || string(data) != testAnswers {
		t.Errorf("Discover with a pin = %q, %v", data, err)
	}
}

// TestFetchRefusesRedirectToFile: a redirect to file: (or any scheme but http(s)) is refused
// at the first attempt, not retried as a network failure.
func TestFetchRefusesRedirectToFile(t *testing.T) {
	for _, target := range []string{"file:///etc/shadow", "file:/proc/self/environ", "ftp://h/a", "gopher://h/a"} {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusFound)
		}))
		f, sl := testFetcher(t)
		_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL), SHA256: digestOf(0xaa)})
		srv.Close()
		if !errors.Is(err, errRedirect) || !strings.Contains(err.Error(), "not retried") {
			t.Errorf("redirect to %s: Fetch = %v, want a refused redirect, not retried", target, err)
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("redirect to %s: %d requests, want 1", target, n)
		}
		if len(sl.waits) != 0 {
			t.Errorf("redirect to %s: waited %v before retrying", target, sl.waits)
		}
	}
}
