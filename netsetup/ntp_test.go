package netsetup

import (
	"strings"
	"testing"
)

// TestNTP renders the host link's time servers as networkd NTP= (systemd.network(5)), and
// refuses one that is neither a host name nor an address.
func TestNTP(t *testing.T) {
	c := Config{Uplinks: []Uplink{{Name: "eno1"}}, NTP: []string{"time.example.org", "192.0.2.123"}}
	out, err := c.RenderFile()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `ntp = [ "time.example.org" "192.0.2.123" ];`) {
		t.Errorf("RenderFile() lacks the NTP servers:\n%s", out)
	}
	c.NTP = []string{"bad server!"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "network.ntp[0]") {
		t.Errorf("Validate(bad NTP) = %v, want a network.ntp[0] problem", err)
	}
}
