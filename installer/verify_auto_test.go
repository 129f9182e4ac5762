package installer

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestVerifyHostAutoNames: a domain config in /etc/xen/auto named as a guest of the
// manifest (declared or tool-managed) is flagged, xendomains would start it a second time
// (docs/design/guests.md §7.6); the name is xl's (`xl -N create`) when it answers, else the
// file's name = line; other configs, and a host with neither, pass.
func TestVerifyHostAutoNames(t *testing.T) {
	xl, err := os.ReadFile("testdata/xl-info-dom0.txt")
	if err != nil {
		t.Fatal(err)
	}
	dom0 := map[string]string{
		"sys/hypervisor/type":                "xen\n",
		"proc/xen/capabilities":              "control_d\n",
		"proc/meminfo":                       "MemTotal:        4096000 kB\n",
		"sys/class/net/xenbr0/operstate":     "up\n",
		"sys/class/net/xenbr0/brif/enp1s0f0": "",
	}
	manifest := `{"version": 1, "guests": {"web": {"kind": "nixos", "unit": "xen-guest-web.service"}, "legacy": {"kind": "image"}}}`
	noXL := func(string) ([]byte, error) { return nil, errors.New("xl: not found") }
	// What `xl -N create` prints: xl's own line on stderr, then the domain config.
	dryRun := func(name string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) {
			return []byte("Parsing config from /etc/xen/auto/x.cfg\n{\n    \"c_info\": {\n        \"type\": \"hvm\",\n        \"name\": \"" + name + "\"\n    }\n}\n"), nil
		}
	}
	cases := []struct {
		name   string
		files  map[string]string
		dryRun func(string) ([]byte, error)
		ok     bool
		want   string
	}{
		{"no auto files", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest}), noXL, true, ""},
		{"another domain", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/old.cfg": "name = \"old\"\nmemory = 512\n"}), noXL, true,
			"ok   /etc/xen/auto          1 domain config, none named as a guest of this host"},
		{"a tool guest's name", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/web.cfg": "name = 'web' # the old one\n"}), noXL, false,
			"FAIL /etc/xen/auto          web.cfg creates web, which xen-guest-web.service starts too: at boot xendomains would create it a second time; move the file out of /etc/xen/auto, or rename the domain in it"},
		{"a declared guest's name, by xl", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/x.cfg": "name = \"x\" + \"\"\n"}), dryRun("legacy"), false,
			"x.cfg creates legacy, which xen-guest-legacy.service starts too"},
		{"xl's name wins", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/web.cfg": "name = \"web\"\n"}), dryRun("web-old"), true, "none named as a guest"},
		{"no guests here", with(dom0, map[string]string{"etc/xen/auto/web.cfg": "name = \"web\"\n"}), noXL, true, "1 domain config, none named"},
		{"a name not found", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/a.cfg": "memory = 1\n"}), noXL, true, "(no domain name found in a.cfg)"},
		{"a directory is not a config", with(dom0, map[string]string{"etc/xen/xennix/guests.json": manifest, "etc/xen/auto/sub/web.cfg": "name = \"web\"\n"}), noXL, true, ""},
		{"manifest unreadable", with(dom0, map[string]string{"etc/xen/xennix/guests.json": "{", "etc/xen/auto/web.cfg": "name = \"web\"\n"}), noXL, false, "FAIL /etc/xen/auto          1 domain config, but read the guests manifest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := VerifyHost(tree(t, tc.files), "xenbr0", HostChecks{XLInfo: func() ([]byte, error) { return xl, nil }, UnitActive: func(string) (bool, error) { return true, nil }, XLDryRun: tc.dryRun})
			s := v.String()
			if v.OK != tc.ok || (tc.want != "" && !strings.Contains(s, tc.want)) || (tc.want == "" && strings.Contains(s, "/etc/xen/auto")) {
				t.Errorf("VerifyHost = ok %v:\n%s\nwant ok %v and %q", v.OK, s, tc.ok, tc.want)
			}
		})
	}
}
