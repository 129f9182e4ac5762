package guests

import "testing"

// TestAutoName reads an /etc/xen/auto file's domain name: from `xl -N create`'s JSON when
// there is one (after xl's own lines), else from its name = line.
func TestAutoName(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, dryRun, want string
		ok                      bool
	}{
		{"double quotes", "memory = 512\nname = \"web\"\n", "", "web", true},
		{"single quotes, a comment", "  name='web-2' # old\n", "", "web-2", true},
		{"no name", "memory = 512\n", "", "", false},
		{"empty name", "name = \"\"\n", "", "", false},
		{"commented out", "# name = \"web\"\n", "", "", false},
		{"xl's JSON", "name = \"a\"\n", "Parsing config from /etc/xen/auto/a.cfg\n{\"c_info\": {\"name\": \"b\"}}\n", "b", true},
		{"xl failed", "name = \"a\"\n", "Parsing config from /etc/xen/auto/a.cfg\nfailed to parse\n", "a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := AutoName([]byte(tc.cfg), []byte(tc.dryRun))
			if got != tc.want || ok != tc.ok {
				t.Errorf("AutoName(%q, %q) = %q, %v; want %q, %v", tc.cfg, tc.dryRun, got, ok, tc.want, tc.ok)
			}
		})
	}
}
