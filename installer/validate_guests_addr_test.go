package installer

import "testing"

// TestValidateGuestsSameAddress: two guests with one static IPv4 address would answer ARP
// for it on the same bridge; the second is refused, naming the first.
func TestValidateGuestsSameAddress(t *testing.T) {
	file := base + "guests:\n  - name: a\n    network: [{ipv4: {address: 192.0.2.30/24}}]\n  - name: b\n    network: [{ipv4: {address: 192.0.2.30/25}}]\n"
	checkProblems(t, file, []want{{"guests[1].network[0].ipv4.address", 13, "192.0.2.30 is also a's address"}})
	ok := base + "guests:\n  - name: a\n    network: [{ipv4: {address: 192.0.2.30/24}}]\n  - name: b\n    network: [{ipv4: {address: 192.0.2.31/24}}]\n"
	a, err := Parse("answers.yaml", []byte(ok), Defaults(nil))
	if err == nil {
		err = a.Validate(nil)
	}
	if err != nil {
		t.Errorf("Validate(two addresses) = %v, want nil", err)
	}
}
