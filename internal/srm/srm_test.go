package srm_test

import (
	"testing"

	"irflow/internal/srm"
)

func TestSectionVIClausesAreKnown(t *testing.T) {
	for _, id := range []string{"SRM-VI.S", "SRM-VI.S.1", "SRM-VI.S.i", "SRM-VI.S.ii", "SRM-VI.S.iii",
		"SRM-VI.S.iv", "SRM-VI.S.2", "SRM-VI.Z", "SRM-VI.Z.1", "SRM-VI.Z.5", "SRM-V.note", "SRM-I.S.5", "SRM-II.Z.3"} {
		if !srm.Valid(id) {
			t.Errorf("Valid(%q) = false, want true", id)
		}
	}
	for _, id := range []string{"", "SRM-VI.S.v", "srm-vi.s.i", "SRM-VII"} {
		if srm.Valid(id) {
			t.Errorf("Valid(%q) = true, want false", id)
		}
	}
	if got := len(srm.IDs()); got != len(srm.All()) {
		t.Errorf("IDs has %d entries, All has %d: duplicate ids?", got, len(srm.All()))
	}
}
