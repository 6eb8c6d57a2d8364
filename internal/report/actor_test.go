package report

import "testing"

// A timeline entry from Slack names the Slack user id beside the channel, in
// every format (they share actorOf).
func TestActorNamesTheSlackUser(t *testing.T) {
	for _, tt := range []struct{ actor, via, ext, want string }{
		{"carol", "slack", "UCAROL", "carol via slack UCAROL"},
		{"lena", "web", "", "lena via web"},
		{"system", "", "", "system"},
	} {
		if got := actorOf(tt.actor, tt.via, tt.ext); got != tt.want {
			t.Errorf("actorOf(%q, %q, %q) = %q, want %q", tt.actor, tt.via, tt.ext, got, tt.want)
		}
	}
}
