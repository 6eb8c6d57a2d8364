// Package storetest is the contract test suite of incident.Store. Every
// implementation runs it unchanged (internal/sqlite today, PostgreSQL later), so the
// read model answers the same whichever database holds it. The tests use only the
// interface and assert outcomes: what a reader gets back after a sequence of writes,
// including retried, reordered and concurrent ones.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"irflow/internal/incident"
)

// Run runs the contract suite. open must return a fresh, empty store for the test it
// is given, and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) incident.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s incident.Store)
	}{
		{"SaveIncident/RoundTrip", testSaveIncidentRoundTrip},
		{"SaveIncident/RetriedEntriesStoredOnce", testSaveIncidentRetried},
		{"SaveIncident/OlderVersionAppendsOnly", testSaveIncidentOlderVersion},
		{"SaveIncident/SameVersionReplaces", testSaveIncidentSameVersion},
		{"SaveIncident/EmptyStateKeepsState", testSaveIncidentKeepsState},
		{"GetIncident/NotFound", testGetIncidentNotFound},
		{"ListIncidents/Filters", testListIncidentsFilters},
		{"ListIncidents/NewestFirst", testListIncidentsNewestFirst},
		{"ListIncidents/LatestVersion", testListIncidentsLatestVersion},
		{"Timeline/OrderAndTimes", testTimelineOrderAndTimes},
		{"Timeline/Unknown", testTimelineUnknown},
		{"SaveObligation/RoundTrip", testSaveObligationRoundTrip},
		{"SaveObligation/Revisions", testSaveObligationRevisions},
		{"SaveObligation/OneRowPerClock", testSaveObligationOneRowPerClock},
		{"Obligations/Filters", testObligationsFilters},
		{"Obligations/Order", testObligationsOrder},
		{"EvidenceManifest/NotFound", testEvidenceManifestNotFound},
		{"EvidenceManifest/IdempotentLatestWins", testEvidenceManifestLatest},
		{"Concurrent/DifferentIncidents", testConcurrentIncidents},
		{"Concurrent/SameIncident", testConcurrentSameIncident},
		{"Concurrent/Obligations", testConcurrentObligations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// base is the instant the fixtures start from. It carries microseconds because the
// contract keeps at least that precision (PostgreSQL's timestamptz resolution).
var base = time.Date(2026, 3, 6, 14, 0, 0, 123456000, time.UTC)

// paris is a zone with an offset, to check that the store compares and returns
// instants, not wall-clock text. A fixed zone needs no tzdata.
var paris = time.FixedZone("CET", 3600)

func ptr[T any](v T) *T { return &v }

// wantCode fails unless err is an *incident.Error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *incident.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("error = %v, want an incident.Error with code %s", err, code)
	}
}

// sameInstant fails unless got is the instant want, in UTC.
func sameInstant(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %s, want UTC", what, got.Location())
	}
}

// samePtrInstant is sameInstant for optional times: nil stays nil, set stays set.
func samePtrInstant(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	default:
		sameInstant(t, what, *got, *want)
	}
}

// sameJSON fails unless got and want are equal JSON documents; an implementation may
// normalise whitespace and key order (PostgreSQL's jsonb does).
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s = %q: not JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: fixture %q is not JSON: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}
