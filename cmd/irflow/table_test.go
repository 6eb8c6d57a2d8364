package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestShortDuration(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		due  time.Time
		want string
	}{
		{now.Add(26*24*time.Hour + 15*time.Hour + 59*time.Minute), "26d 15h"},
		{now.Add(5*time.Hour + 12*time.Minute + 30*time.Second), "5h 12m"},
		{now.Add(12 * time.Minute), "12m"},
		{now.Add(-(3*24*time.Hour + 2*time.Hour)), "3d 2h overdue"},
		{now, "0m"},
	} {
		if got := leftOrOverdue(tc.due, now); got != tc.want {
			t.Errorf("leftOrOverdue(%s): %q, want %q", tc.due.Sub(now), got, tc.want)
		}
	}
}

func TestTableFits(t *testing.T) {
	long := strings.Repeat("within 15 calendar days of notifying residents ", 8)
	newT := func() *table {
		tb := newTable("OBLIGATION", "STATUS", "DUE", "TO", "CHECK").canShrink(2, 20).canDrop(3).canDrop(4)
		tb.add("us-ca-1798-82-ag", "awaiting_predecessor", long, "authority US-CA", "verified")
		tb.add("eu-gdpr-33-sa", "open", "2026-11-29T21:00:00Z", "authority IE", "UNVERIFIED")
		return tb
	}
	for _, tc := range []struct {
		width   int
		dropped []int
	}{
		{0, nil},          // --wide: everything in full
		{120, nil},        // the due text is cut, every column stays
		{80, []int{4}},    // CHECK left out first
		{70, []int{3, 4}}, // then TO
	} {
		var b bytes.Buffer
		dropped, err := newT().write(&b, tc.width)
		if err != nil {
			t.Fatal(err)
		}
		if len(dropped) != len(tc.dropped) {
			t.Errorf("width %d: dropped columns %v, want %v\n%s", tc.width, dropped, tc.dropped, b.String())
		}
		for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if tc.width > 0 && utf8.RuneCountInString(line) > tc.width {
				t.Errorf("width %d: line of %d runes: %q", tc.width, utf8.RuneCountInString(line), line)
			}
			if strings.HasSuffix(line, " ") {
				t.Errorf("width %d: line ends in spaces: %q", tc.width, line)
			}
		}
		if tc.width == 0 && !strings.Contains(b.String(), long) {
			t.Errorf("unlimited width cut a cell:\n%s", b.String())
		}
	}
}

func TestWrapText(t *testing.T) {
	text := "Ownership: subscriber (SRM-VI.S.i, SRM-I.S.2; probable). " + strings.Repeat("x", 90) + " end"
	got := wrapText(text, 30, "      ", 60)
	lines := strings.Split(got, "\n")
	if utf8.RuneCountInString(lines[0]) > 30 {
		t.Errorf("first line %q is longer than the 30 runes left after the prefix", lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "      ") || utf8.RuneCountInString(l) > 60 {
			t.Errorf("line %q: want the indent and at most 60 runes", l)
		}
	}
	if joined := strings.Join(strings.Fields(got), ""); joined != strings.Join(strings.Fields(text), "") {
		t.Errorf("wrapping lost or changed text:\n%s", got)
	}
	if got := wrapText(text, 30, "  ", 0); got != text {
		t.Errorf("width 0 wrapped: %q", got)
	}
}
