package calendar

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func ymd(s string) (int, time.Month, int) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Date()
}

func holidayDates(c *Calendar, year int) []string {
	var out []string
	for _, h := range c.Holidays(year) {
		out = append(out, h.Date.Format("2006-01-02"))
	}
	return out
}

func TestEaster(t *testing.T) {
	// Published Western Easter dates, including the extremes of the range.
	want := map[int]string{
		1818: "1818-03-22", 1943: "1943-04-25", 2019: "2019-04-21", 2020: "2020-04-12",
		2021: "2021-04-04", 2022: "2022-04-17", 2023: "2023-04-09", 2024: "2024-03-31",
		2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2028: "2028-04-16",
		2029: "2029-04-01", 2030: "2030-04-21", 2038: "2038-04-25", 2285: "2285-03-22",
	}
	for year, w := range want {
		if got := Easter(year, time.UTC).Format("2006-01-02"); got != w {
			t.Errorf("Easter(%d) = %s, want %s", year, got, w)
		}
	}
}

func TestHolidaysByYear(t *testing.T) {
	tests := []struct {
		cal  string
		year int
		want string
	}{
		// US: observed days on both sides of weekends, Juneteenth from 2021, and New
		// Year's Day 2022 (a Saturday) observed on Friday 31 December 2021.
		{USFederal, 2020, "2020-01-01 2020-01-20 2020-02-17 2020-05-25 2020-07-03 2020-09-07 2020-10-12 2020-11-11 2020-11-26 2020-12-25"},
		{USFederal, 2021, "2021-01-01 2021-01-18 2021-02-15 2021-05-31 2021-06-18 2021-07-05 2021-09-06 2021-10-11 2021-11-11 2021-11-25 2021-12-24 2021-12-31"},
		{USFederal, 2022, "2022-01-17 2022-02-21 2022-05-30 2022-06-20 2022-07-04 2022-09-05 2022-10-10 2022-11-11 2022-11-24 2022-12-26"},
		{USFederal, 2023, "2023-01-02 2023-01-16 2023-02-20 2023-05-29 2023-06-19 2023-07-04 2023-09-04 2023-10-09 2023-11-10 2023-11-23 2023-12-25"},
		{USFederal, 2026, "2026-01-01 2026-01-19 2026-02-16 2026-05-25 2026-06-19 2026-07-03 2026-09-07 2026-10-12 2026-11-11 2026-11-26 2026-12-25"},
		{USFederal, 2027, "2027-01-01 2027-01-18 2027-02-15 2027-05-31 2027-06-18 2027-07-05 2027-09-06 2027-10-11 2027-11-11 2027-11-25 2027-12-24 2027-12-31"},
		{USFederal, 2028, "2028-01-17 2028-02-21 2028-05-29 2028-06-19 2028-07-04 2028-09-04 2028-10-09 2028-11-10 2028-11-23 2028-12-25"},
		{USFederal, 2030, "2030-01-01 2030-01-21 2030-02-18 2030-05-27 2030-06-19 2030-07-04 2030-09-02 2030-10-14 2030-11-11 2030-11-28 2030-12-25"},
		// Brazil: Good Friday moves with Easter, weekend holidays stay put, 20 November
		// from 2024 only.
		{BRNational, 2023, "2023-01-01 2023-04-07 2023-04-21 2023-05-01 2023-09-07 2023-10-12 2023-11-02 2023-11-15 2023-12-25"},
		{BRNational, 2024, "2024-01-01 2024-03-29 2024-04-21 2024-05-01 2024-09-07 2024-10-12 2024-11-02 2024-11-15 2024-11-20 2024-12-25"},
		{BRNational, 2026, "2026-01-01 2026-04-03 2026-04-21 2026-05-01 2026-09-07 2026-10-12 2026-11-02 2026-11-15 2026-11-20 2026-12-25"},
		{BRNational, 2030, "2030-01-01 2030-04-19 2030-04-21 2030-05-01 2030-09-07 2030-10-12 2030-11-02 2030-11-15 2030-11-20 2030-12-25"},
		// England and Wales (dates as published on gov.uk/bank-holidays): substitute
		// days, Easter, and the proclaimed changes of 2020, 2022 and 2023.
		{GBEngWal, 2020, "2020-01-01 2020-04-10 2020-04-13 2020-05-08 2020-05-25 2020-08-31 2020-12-25 2020-12-28"},
		{GBEngWal, 2021, "2021-01-01 2021-04-02 2021-04-05 2021-05-03 2021-05-31 2021-08-30 2021-12-27 2021-12-28"},
		{GBEngWal, 2022, "2022-01-03 2022-04-15 2022-04-18 2022-05-02 2022-06-02 2022-06-03 2022-08-29 2022-09-19 2022-12-26 2022-12-27"},
		{GBEngWal, 2023, "2023-01-02 2023-04-07 2023-04-10 2023-05-01 2023-05-08 2023-05-29 2023-08-28 2023-12-25 2023-12-26"},
		{GBEngWal, 2026, "2026-01-01 2026-04-03 2026-04-06 2026-05-04 2026-05-25 2026-08-31 2026-12-25 2026-12-28"},
		{GBEngWal, 2027, "2027-01-01 2027-03-26 2027-03-29 2027-05-03 2027-05-31 2027-08-30 2027-12-27 2027-12-28"},
		{GBEngWal, 2029, "2029-01-01 2029-03-30 2029-04-02 2029-05-07 2029-05-28 2029-08-27 2029-12-25 2029-12-26"},
		{Weekends, 2026, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.cal, tt.year), func(t *testing.T) {
			got := strings.Join(holidayDates(MustByName(tt.cal), tt.year), " ")
			if got != tt.want {
				t.Errorf("holidays\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

func TestHolidayNames(t *testing.T) {
	tests := []struct {
		cal, day, want string
	}{
		{USFederal, "2021-12-31", "New Year's Day (observed)"},
		{USFederal, "2021-06-18", "Juneteenth National Independence Day (observed)"},
		{USFederal, "2026-07-03", "Independence Day (observed)"},
		{BRNational, "2026-04-03", "Paixão de Cristo (Good Friday)"},
		{GBEngWal, "2021-12-27", "Christmas Day (substitute day)"},
		{GBEngWal, "2021-12-28", "Boxing Day (substitute day)"},
		{GBEngWal, "2022-12-27", "Christmas Day (substitute day)"},
		{GBEngWal, "2022-09-19", "State Funeral of Queen Elizabeth II"},
	}
	for _, tt := range tests {
		c := MustByName(tt.cal)
		y, m, d := ymd(tt.day)
		got, ok := c.HolidayName(time.Date(y, m, d, 12, 0, 0, 0, c.Location()))
		if !ok || got != tt.want {
			t.Errorf("%s %s: got %q, %v; want %q", tt.cal, tt.day, got, ok, tt.want)
		}
	}
}

func TestIsBusinessDay(t *testing.T) {
	tests := []struct {
		cal, day string
		want     bool
	}{
		{USFederal, "2026-07-03", false}, // Independence Day observed (4 July is a Saturday)
		{USFederal, "2026-07-06", true},
		{USFederal, "2020-06-19", true}, // before the Juneteenth act
		{USFederal, "2024-06-19", false},
		{USFederal, "2026-03-07", false}, // Saturday
		{BRNational, "2026-02-16", true}, // Carnival Monday: ponto facultativo only
		{BRNational, "2026-06-04", true}, // Corpus Christi: ponto facultativo only
		{BRNational, "2023-11-20", true}, // not yet national
		{BRNational, "2025-11-20", false},
		{BRNational, "2026-04-03", false}, // Good Friday
		{GBEngWal, "2026-04-06", false},   // Easter Monday
		{GBEngWal, "2026-12-28", false},   // Boxing Day substitute
		{GBEngWal, "2020-05-04", true},    // early May moved to 8 May for VE Day 75
		{GBEngWal, "2020-05-08", false},
		{Weekends, "2026-12-25", true},
		{Weekends, "2026-12-26", false},
	}
	for _, tt := range tests {
		c := MustByName(tt.cal)
		y, m, d := ymd(tt.day)
		if got := c.IsBusinessDay(time.Date(y, m, d, 9, 0, 0, 0, c.Location())); got != tt.want {
			t.Errorf("%s IsBusinessDay(%s) = %v, want %v", tt.cal, tt.day, got, tt.want)
		}
	}
}

func TestAddBusinessDays(t *testing.T) {
	tests := []struct {
		name  string
		cal   string
		start string // RFC 3339
		n     int
		want  string // RFC 3339 in the calendar's zone
	}{
		{"SEC 8-K over an observed Independence Day", USFederal, "2026-07-02T10:00:00-04:00", 4, "2026-07-09T10:00:00-04:00"},
		{"start day on a weekend does not count", USFederal, "2026-03-07T10:00:00-05:00", 4, "2026-03-12T10:00:00-04:00"},
		{"US year boundary with New Year's observed on 31 December", USFederal, "2021-12-29T15:00:00-05:00", 2, "2022-01-03T15:00:00-05:00"},
		{"US Thanksgiving week", USFederal, "2026-11-25T09:00:00-05:00", 1, "2026-11-27T09:00:00-05:00"},
		{"UTC instant that is still the previous day in New York", USFederal, "2026-07-03T02:00:00Z", 1, "2026-07-06T22:00:00-04:00"},
		{"US DST change inside the window keeps wall time", USFederal, "2026-03-06T16:00:00-05:00", 1, "2026-03-09T16:00:00-04:00"},
		{"Brazil ANPD 3 dias úteis over Good Friday", BRNational, "2026-04-01T10:00:00-03:00", 3, "2026-04-07T10:00:00-03:00"},
		{"Brazil year boundary over 1 January", BRNational, "2025-12-30T10:00:00-03:00", 3, "2026-01-05T10:00:00-03:00"},
		{"Brazil 20 business days over Tiradentes and 1 May", BRNational, "2026-04-20T10:00:00-03:00", 20, "2026-05-20T10:00:00-03:00"},
		{"Brazil counts in São Paulo, not UTC", BRNational, "2026-03-06T02:30:00Z", 1, "2026-03-06T23:30:00-03:00"},
		{"England and Wales Platinum Jubilee", GBEngWal, "2022-06-01T12:00:00+01:00", 1, "2022-06-06T12:00:00+01:00"},
		{"England and Wales Christmas substitutes and year boundary", GBEngWal, "2021-12-24T12:00:00Z", 2, "2021-12-30T12:00:00Z"},
		{"weekends only", Weekends, "2026-12-24T12:00:00Z", 2, "2026-12-28T12:00:00Z"},
		{"zero days", USFederal, "2026-07-02T10:00:00-04:00", 0, "2026-07-02T10:00:00-04:00"},
		{"backwards over an observed holiday", USFederal, "2026-07-06T10:00:00-04:00", -1, "2026-07-02T10:00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, err := time.Parse(time.RFC3339, tt.start)
			if err != nil {
				t.Fatal(err)
			}
			got := MustByName(tt.cal).AddBusinessDays(start, tt.n).Format(time.RFC3339)
			if got != tt.want {
				t.Errorf("AddBusinessDays(%s, %d) = %s, want %s", tt.start, tt.n, got, tt.want)
			}
		})
	}
}

func TestEveryYearHasItsHolidaysOnWeekdays(t *testing.T) {
	// Observed and substitute rules exist so that US and E&W holidays land on weekdays;
	// Brazil does not move holidays. Check the rule holds for a long span of years.
	for _, name := range []string{USFederal, GBEngWal} {
		c := MustByName(name)
		for y := 1990; y <= 2100; y++ {
			seen := map[string]bool{}
			for _, h := range c.Holidays(y) {
				if wd := h.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("%s %d: %s on %s", name, y, h.Name, wd)
				}
				k := h.Date.Format("2006-01-02")
				if seen[k] {
					t.Errorf("%s %d: two holidays on %s", name, y, k)
				}
				seen[k] = true
			}
		}
	}
}

func TestInAndEndOfDay(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	c := MustByName(Weekends).In(la)
	// Friday 20:00 in Los Angeles is Saturday in UTC; in LA the next business day is Monday.
	start := time.Date(2026, 3, 6, 20, 0, 0, 0, la)
	if got := c.AddBusinessDays(start, 1).Format(time.RFC3339); got != "2026-03-09T20:00:00-07:00" {
		t.Errorf("weekends in LA: got %s", got)
	}
	if got := c.EndOfDay(start).Format(time.RFC3339); got != "2026-03-06T23:59:59-08:00" {
		t.Errorf("EndOfDay: got %s", got)
	}
	if _, err := ByName("mars"); err == nil || !strings.Contains(err.Error(), `unknown calendar "mars"`) {
		t.Errorf("ByName(mars) error = %v", err)
	}
}
