package iso

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAnswers = "version: 1\nhost:\n  hostname: xen1\n"
	testReport  = `{"firmware":"uefi","disks":[{"path":"/dev/disk/by-id/nvme-x","size":1000204886016}]}`
)

// fakeSleep records the waits a Fetcher asks for, without waiting.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return ctx.Err()
}

// testFetcher is a Fetcher with fast timeouts, a recorded sleep and fixed jitter.
func testFetcher(t *testing.T) (*Fetcher, *fakeSleep) {
	t.Helper()
	fs := &fakeSleep{}
	return &Fetcher{
		Report:         func() ([]byte, error) { return []byte(testReport), nil },
		ConnectTimeout: 2 * time.Second,
		AttemptTimeout: 5 * time.Second,
		Sleep:          fs.sleep,
		Rand:           func() float64 { return 0.5 },
		Logf:           t.Logf,
	}, fs
}

func mustLocation(t *testing.T, s string) Location {
	t.Helper()
	l, err := ParseLocation(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFetchPostsReportWithToken(t *testing.T) {
	var (
		gotBody   string
		gotHeader http.Header
		gotMethod string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotHeader, gotMethod = string(b), r.Header.Clone(), r.Method
		io.WriteString(w, testAnswers)
	}))
	defer srv.Close()

	f, _ := testFetcher(t)
	sum := sha256.Sum256([]byte(testAnswers))
	data, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL+"/answers"), Token: "s3cret", SHA256: sum})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(data) != testAnswers {
		t.Errorf("Fetch = %q, want %q", data, testAnswers)
	}
	if gotMethod != http.MethodPost || gotBody != testReport {
		t.Errorf("server got %s %q, want POST %q", gotMethod, gotBody, testReport)
	}
	if ct := gotHeader.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if a := gotHeader.Get("Authorization"); a != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want %q", a, "Bearer s3cret")
	}
}

func TestFetchNoTokenNoAuthorization(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := r.Header["Authorization"]; ok {
			t.Errorf("Authorization sent without a token: %q", a)
		}
		io.WriteString(w, testAnswers)
	}))
	defer srv.Close()
	f, _ := testFetcher(t)
	f.Report = nil // posts {}
	if _, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
}

func TestFetchDigestMismatchNotRetried(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.WriteString(w, "version: 1\n# tampered\n")
	}))
	defer srv.Close()

	f, sleeps := testFetcher(t)
	want := Digest(sha256.Sum256([]byte(testAnswers)))
	got := Digest(sha256.Sum256([]byte("version: 1\n# tampered\n")))
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL), SHA256: want})
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Fetch error = %v, want ErrDigestMismatch", err)
	}
	for _, s := range []string{got.String(), want.String(), srv.URL} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Fetch error = %q, want it to name %s", err, s)
		}
	}
	if n := requests.Load(); n != 1 || len(sleeps.waits) != 0 {
		t.Errorf("server saw %d requests and the fetcher slept %v; want 1 request, no retry", n, sleeps.waits)
	}
}

func TestFetchRetries503(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= 2 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, testAnswers)
	}))
	defer srv.Close()

	f, sleeps := testFetcher(t)
	data, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)})
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Fetch = %q, %v; want the answers", data, err)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
	// Equal jitter with Rand = 0.5: 3/4 of 1s, then of 2s.
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}
	if !reflect.DeepEqual(sleeps.waits, want) {
		t.Errorf("waits = %v, want %v", sleeps.waits, want)
	}
}

func TestFetchGivesUp(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Retry-After", "3")
		http.Error(w, "busy", http.StatusTooManyRequests)
	}))
	defer srv.Close()

	f, sleeps := testFetcher(t)
	f.Attempts = 6
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL+"/a")})
	var serr *StatusError
	if !errors.As(err, &serr) || serr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("Fetch error = %v, want a 429 StatusError", err)
	}
	for _, s := range []string{srv.URL + "/a", "attempt 6 of 6", "429 Too Many Requests", "busy"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Fetch error = %q, want it to contain %q", err, s)
		}
	}
	if n := requests.Load(); n != 6 {
		t.Errorf("server saw %d requests, want 6", n)
	}
	// Retry-After 3s beats 0.75s and 1.5s; then 3s, 6s, 12s jittered; capped at 16s.
	want := []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second, 6 * time.Second, 12 * time.Second}
	if !reflect.DeepEqual(sleeps.waits, want) {
		t.Errorf("waits = %v, want %v", sleeps.waits, want)
	}
}

func TestBackoffBounds(t *testing.T) {
	for _, r := range []float64{0, 0.999999} {
		f := &Fetcher{Rand: func() float64 { return r }}
		for attempt := 1; attempt <= 10; attempt++ {
			d := f.backoff(attempt, 0)
			base := min(DefaultMinBackoff<<(attempt-1), DefaultMaxBackoff)
			if d < base/2 || d > base {
				t.Errorf("backoff(%d) with rand %v = %s, want within [%s, %s]", attempt, r, d, base/2, base)
			}
		}
	}
}

func TestFetch404NotRetried(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no answers for this machine", http.StatusNotFound)
	}))
	defer srv.Close()

	f, sleeps := testFetcher(t)
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)})
	var serr *StatusError
	if !errors.As(err, &serr) || serr.StatusCode != 404 {
		t.Fatalf("Fetch error = %v, want a 404 StatusError", err)
	}
	if !strings.Contains(err.Error(), "attempt 1 of 5, not retried") || !strings.Contains(err.Error(), "no answers for this machine") {
		t.Errorf("Fetch error = %q, want the attempt and the server's message", err)
	}
	if n := requests.Load(); n != 1 || len(sleeps.waits) != 0 {
		t.Errorf("server saw %d requests, fetcher slept %v; want 1 request, no retry", n, sleeps.waits)
	}
}

func TestFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	f, sleeps := testFetcher(t)
	f.AttemptTimeout = 100 * time.Millisecond
	f.Attempts = 2
	start := time.Now()
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)})
	if err == nil || !strings.Contains(err.Error(), "no complete answer within 100ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch error = %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "attempt 2 of 2") {
		t.Errorf("Fetch error = %q, want it to name the attempt", err)
	}
	if len(sleeps.waits) != 1 {
		t.Errorf("waits = %v, want one retry", sleeps.waits)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Fetch took %s, want about 200ms", d)
	}
}

func TestFetchCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	f, _ := testFetcher(t)
	f.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := f.Fetch(ctx, Request{Location: mustLocation(t, srv.URL)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch error = %v, want context.Canceled", err)
	}
}

func TestFetchTooLarge(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/yaml")
		// No Content-Length: chunked, so the limit is found while reading.
		w.(http.Flusher).Flush()
		chunk := strings.Repeat("#", 64<<10)
		for range (MaxAnswersSize / len(chunk)) + 2 {
			io.WriteString(w, chunk)
		}
	}))
	defer srv.Close()
	f, _ := testFetcher(t)
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)})
	if !errors.Is(err, ErrTooLarge) || requests.Load() != 1 {
		t.Errorf("Fetch error = %v after %d requests, want ErrTooLarge after 1", err, requests.Load())
	}
}

func TestFetchEmptyBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	f, sleeps := testFetcher(t)
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL)})
	if err == nil || !strings.Contains(err.Error(), "empty body") || len(sleeps.waits) != 0 {
		t.Errorf("Fetch error = %v (waits %v), want an empty-body error without retries", err, sleeps.waits)
	}
}

func TestFetchBadReport(t *testing.T) {
	f, _ := testFetcher(t)
	f.Report = func() ([]byte, error) { return []byte("{"), nil }
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, "http://127.0.0.1:1/")})
	if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("Fetch error = %v, want an invalid-report error", err)
	}
}

// quietTLSServer is httptest.NewTLSServer without the log line for each refused
// handshake.
func quietTLSServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

func TestFetchTLSPin(t *testing.T) {
	srv := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, testAnswers)
	}))
	defer srv.Close()
	pin := Digest(sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo))
	loc := mustLocation(t, srv.URL)

	t.Run("pin matches", func(t *testing.T) {
		f, _ := testFetcher(t)
		data, err := f.Fetch(context.Background(), Request{Location: loc, TLSPin: pin})
		if err != nil || string(data) != testAnswers {
			t.Errorf("Fetch = %q, %v; want the answers", data, err)
		}
	})
	t.Run("wrong pin", func(t *testing.T) {
		f, sleeps := testFetcher(t)
		_, err := f.Fetch(context.Background(), Request{Location: loc, TLSPin: digestOf(0xaa)})
		if !errors.Is(err, ErrPinMismatch) {
			t.Fatalf("Fetch error = %v, want ErrPinMismatch", err)
		}
		if !strings.Contains(err.Error(), pin.String()) || len(sleeps.waits) != 0 {
			t.Errorf("Fetch error = %q (waits %v), want the server's key hash and no retry", err, sleeps.waits)
		}
	})
	t.Run("no pin, unknown CA", func(t *testing.T) {
		f, sleeps := testFetcher(t)
		_, err := f.Fetch(context.Background(), Request{Location: loc})
		if err == nil || !strings.Contains(err.Error(), "certificate") || len(sleeps.waits) != 0 {
			t.Errorf("Fetch error = %v (waits %v), want a certificate error without retries", err, sleeps.waits)
		}
	})
	t.Run("no pin, trusted CA", func(t *testing.T) {
		f, _ := testFetcher(t)
		f.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		if _, err := f.Fetch(context.Background(), Request{Location: loc}); err != nil {
			t.Errorf("Fetch: %v", err)
		}
	})
	t.Run("trusted CA but wrong pin", func(t *testing.T) {
		f, _ := testFetcher(t)
		f.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		if _, err := f.Fetch(context.Background(), Request{Location: loc, TLSPin: digestOf(1)}); !errors.Is(err, ErrPinMismatch) {
			t.Errorf("Fetch error = %v, want ErrPinMismatch", err)
		}
	})
}

func TestFetchRefusesHTTPSDowngrade(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, testAnswers)
	}))
	defer plain.Close()
	srv := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	f, _ := testFetcher(t)
	pin := Digest(sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo))
	_, err := f.Fetch(context.Background(), Request{Location: mustLocation(t, srv.URL), TLSPin: pin})
	if !errors.Is(err, errRedirect) {
		t.Errorf("Fetch error = %v, want a refused redirect", err)
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "answers.yaml")
	if err := os.WriteFile(p, []byte(testAnswers), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := testFetcher(t)
	good := Digest(sha256.Sum256([]byte(testAnswers)))
	data, err := f.Fetch(context.Background(), Request{Location: Location{Path: p}, SHA256: good})
	if err != nil || string(data) != testAnswers {
		t.Errorf("Fetch(file) = %q, %v; want the answers", data, err)
	}
	if _, err := f.Fetch(context.Background(), Request{Location: Location{Path: p}, SHA256: digestOf(1)}); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Fetch(file, wrong sha256) error = %v, want ErrDigestMismatch", err)
	}
	if _, err := f.Fetch(context.Background(), Request{Location: Location{Path: filepath.Join(dir, "missing")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fetch(missing file) error = %v, want ErrNotExist", err)
	}
}
