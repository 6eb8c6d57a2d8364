package incident

import "testing"

func TestActorString(t *testing.T) {
	for _, tt := range []struct {
		a    Actor
		want string
	}{
		{Actor{ID: "alice", Display: "Alice Martin", Via: ViaAPI}, "alice (Alice Martin) via api"},
		{Actor{ID: "alice", Display: "alice", Via: ViaCLI}, "alice via cli"},
		{Actor{ID: "alice", Display: "Alice Martin", Via: ViaSlack, ExternalID: "U024BE7LH"}, "alice (Alice Martin) via slack U024BE7LH"},
		{Actor{ID: "alice"}, "alice"},
	} {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%+v: String() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestIdentityActorCarriesExternalID(t *testing.T) {
	id := Identity{User: User{ID: "alice", Display: "Alice Martin"}, Via: ViaSlack, ExternalID: "U024BE7LH"}
	want := Actor{ID: "alice", Display: "Alice Martin", Via: ViaSlack, ExternalID: "U024BE7LH"}
	if got := id.Actor(); got != want {
		t.Errorf("Actor() = %+v, want %+v", got, want)
	}
}
