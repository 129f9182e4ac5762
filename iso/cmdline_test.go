package iso

import (
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

const hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func digestOf(b byte) Digest {
	var d Digest
	for i := range d {
		d[i] = b
	}
	return d
}

func TestSplitCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want []param
	}{
		{"", nil},
		{"  ro  quiet\n", []param{{key: "ro"}, {key: "quiet"}}},
		{"root=/dev/sda1 console=ttyS0,115200", []param{{"root", "/dev/sda1", true}, {"console", "ttyS0,115200", true}}},
		{`a="b c" d`, []param{{"a", "b c", true}, {key: "d"}}},
		{`"a=b c" d`, []param{{"a", "b c", true}, {key: "d"}}},
		{`"quoted key"`, []param{{key: "quoted key"}}},
		{`a=b=c`, []param{{"a", "b=c", true}}},
		{`a=`, []param{{"a", "", true}}},
		{`a=""`, []param{{"a", "", true}}},
		{`=x`, []param{{key: "=x"}}},
		{`a=b"c d"e f`, []param{{"a", `b"c d"e`, true}, {key: "f"}}},
		{"a\tb", []param{{key: "a"}, {key: "b"}}},
		{"a -- xennix.answers=x", []param{{key: "a"}}},
		{`a="unterminated b`, []param{{"a", "unterminated b", true}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := splitCmdline(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitCmdline(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseCmdline(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	pinB64 := base64.StdEncoding.EncodeToString(key)
	var pin Digest
	copy(pin[:], key)

	tests := []struct {
		name     string
		in       string
		want     string // Location.String()
		sha      Digest
		token    string
		pin      Digest
		warnings []string // substrings, in order
		err      string   // substring; "" means no error
	}{
		{name: "no xennix keys", in: "BOOT_IMAGE=/bzImage root=/dev/sda1 ro quiet\n"},
		{name: "https", in: "quiet xennix.answers=https://deploy.example.com/a.yaml", want: "https://deploy.example.com/a.yaml"},
		{name: "http with sha256", in: "xennix.answers=http://10.0.0.1:8080/a xennix.answers.sha256=" + hexA,
			want: "http://10.0.0.1:8080/a", sha: digestOf(0xaa)},
		{name: "sha256 upper case", in: "xennix.answers=http://h/a xennix.answers.sha256=" + strings.ToUpper(hexA),
			want: "http://h/a", sha: digestOf(0xaa)},
		{name: "scheme case", in: "xennix.answers=HTTPS://h/a", want: "https://h/a"},
		{name: "file", in: "xennix.answers=file:/etc/xennix/answers.yaml", want: "file:/etc/xennix/answers.yaml"},
		{name: "file URL", in: "xennix.answers=file:///etc/a.yaml", want: "file:/etc/a.yaml"},
		{name: "file relative", in: "xennix.answers=file:answers.yaml", err: "absolute path"},
		{name: "file host", in: "xennix.answers=file://server/a.yaml", err: "must not name a host"},
		{name: "ftp", in: "xennix.answers=ftp://h/a", err: "want an http:// or https:// URL"},
		{name: "bare path", in: "xennix.answers=/a.yaml", err: "want an http:// or https:// URL"},
		{name: "no host", in: "xennix.answers=https:///a", err: "no host"},
		{name: "quoted value", in: `xennix.answers="https://h/a b.yaml" ro`, want: "https://h/a%20b.yaml"},
		{name: "quoted parameter", in: `"xennix.answers=https://h/a"`, want: "https://h/a"},
		{name: "repeated, last wins", in: "xennix.answers=https://first/a xennix.answers=https://second/a",
			want: "https://second/a", warnings: []string{"xennix.answers given 2 times; the last one wins"}},
		{name: "empty value unsets", in: "xennix.answers=https://h/a xennix.answers=",
			warnings: []string{"given 2 times"}},
		{name: "no value", in: "xennix.answers", err: "xennix.answers: needs a value"},
		{name: "bad sha256 length", in: "xennix.answers=https://h/a xennix.answers.sha256=abcd",
			err: `xennix.answers.sha256: "abcd" is 4 characters, want 64 hex digits`},
		{name: "bad sha256 hex", in: "xennix.answers=https://h/a xennix.answers.sha256=" + strings.Repeat("z", 64),
			err: "is not hex"},
		{name: "two errors", in: "xennix.answers=ftp://h xennix.answers.sha256=ab", err: "xennix.answers.sha256"},
		{name: "unknown xennix key", in: "xennix.foo=1 xennix.answers=https://h/a",
			want: "https://h/a", warnings: []string{"unknown kernel parameter xennix.foo ignored"}},
		{name: "token", in: "xennix.answers=https://h/a xennix.answers.token=abc.DEF-123_~+/==",
			want: "https://h/a", token: "abc.DEF-123_~+/=="},
		{name: "quoted token with space", in: `xennix.answers=https://h/a xennix.answers.token="a b"`, err: "the token has ' '"},
		{name: "token over http", in: "xennix.answers=http://h/a xennix.answers.token=t",
			want: "http://h/a", token: "t", warnings: []string{"sent unencrypted"}},
		{name: "token for a file", in: "xennix.answers=file:/a xennix.answers.token=t",
			want: "file:/a", warnings: []string{"ignored for a file"}},
		{name: "pin hex", in: "xennix.answers=https://h/a xennix.answers.tlspin=" + hexA, want: "https://h/a", pin: digestOf(0xaa)},
		{name: "pin base64", in: "xennix.answers=https://h/a xennix.answers.tlspin=" + pinB64, want: "https://h/a", pin: pin},
		{name: "pin base64 raw", in: "xennix.answers=https://h/a xennix.answers.tlspin=" + strings.TrimRight(pinB64, "="), want: "https://h/a", pin: pin},
		{name: "pin curl form not accepted", in: "xennix.answers=https://h/a xennix.answers.tlspin=sha256//" + pinB64, err: "neither 64 hex digits"},
		{name: "pin on http", in: "xennix.answers=http://h/a xennix.answers.tlspin=" + hexA, err: "not an https URL"},
		{name: "pins without answers", in: "xennix.answers.sha256=" + hexA + " xennix.answers.token=t",
			warnings: []string{"xennix.answers.sha256 given without xennix.answers; ignored", "xennix.answers.token given without"}},
		{name: "after --", in: "ro -- xennix.answers=https://h/a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings, err := ParseCmdline(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseCmdline(%q) error = %v, want one containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCmdline(%q) error = %v", tc.in, err)
			}
			if s := got.Location.String(); s != tc.want {
				t.Errorf("ParseCmdline(%q).Location = %q, want %q", tc.in, s, tc.want)
			}
			if got.SHA256 != tc.sha || got.Token != tc.token || got.TLSPin != tc.pin {
				t.Errorf("ParseCmdline(%q) = sha256 %s token %q pin %s, want %s %q %s", tc.in, got.SHA256, got.Token, got.TLSPin, tc.sha, tc.token, tc.pin)
			}
			if len(warnings) != len(tc.warnings) {
				t.Fatalf("ParseCmdline(%q) warnings = %q, want %d matching %q", tc.in, warnings, len(tc.warnings), tc.warnings)
			}
			for i, w := range tc.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("ParseCmdline(%q) warning %d = %q, want it to contain %q", tc.in, i, warnings[i], w)
				}
			}
		})
	}
}

func TestParsePinMatchesSPKIHash(t *testing.T) {
	sum := sha256.Sum256([]byte("spki"))
	for _, s := range []string{
		Digest(sum).String(),
		base64.StdEncoding.EncodeToString(sum[:]),
		base64.RawURLEncoding.EncodeToString(sum[:]),
	} {
		got, err := ParsePin(s)
		if err != nil || got != Digest(sum) {
			t.Errorf("ParsePin(%q) = %s, %v; want %s", s, got, err, Digest(sum))
		}
	}
	if _, err := ParsePin(base64.StdEncoding.EncodeToString(sum[:16])); err == nil {
		t.Errorf("ParsePin(16 bytes) succeeded, want an error")
	}
}
