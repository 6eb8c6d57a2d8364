package regimes

import (
	"fmt"
	"strconv"
	"time"
)

// Duration is a parsed ISO-8601 duration. Legal periods keep their units: "1 month"
// is month arithmetic (same day-number next month), never 30 days, and "72 hours" is
// an exact span, never 3 calendar days (Reg. 1182/71 Art. 3).
type Duration struct {
	Years, Months, Weeks, Days int
	Hours, Minutes, Seconds    int
}

// ParseDuration parses an ISO-8601 duration such as P30D, P1M, PT72H or PT1H30M.
// Fractions and negative durations are rejected: no rule uses them.
func ParseDuration(s string) (Duration, error) {
	var d Duration
	if len(s) < 3 || s[0] != 'P' {
		return d, fmt.Errorf("bad ISO-8601 duration %q: want e.g. P30D, P1M or PT72H", s)
	}
	inTime, any := false, false
	num := ""
	for i := 1; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == 'T':
			if inTime || num != "" {
				return Duration{}, fmt.Errorf("bad ISO-8601 duration %q: misplaced T", s)
			}
			inTime = true
		case ch >= '0' && ch <= '9':
			num += string(ch)
		default:
			if num == "" {
				return Duration{}, fmt.Errorf("bad ISO-8601 duration %q: unit %q without a number", s, ch)
			}
			n, err := strconv.Atoi(num)
			if err != nil {
				return Duration{}, fmt.Errorf("bad ISO-8601 duration %q: %w", s, err)
			}
			num = ""
			any = true
			switch {
			case !inTime && ch == 'Y':
				d.Years = n
			case !inTime && ch == 'M':
				d.Months = n
			case !inTime && ch == 'W':
				d.Weeks = n
			case !inTime && ch == 'D':
				d.Days = n
			case inTime && ch == 'H':
				d.Hours = n
			case inTime && ch == 'M':
				d.Minutes = n
			case inTime && ch == 'S':
				d.Seconds = n
			default:
				return Duration{}, fmt.Errorf("bad ISO-8601 duration %q: unknown unit %q", s, ch)
			}
		}
	}
	if num != "" || !any {
		return Duration{}, fmt.Errorf("bad ISO-8601 duration %q: number without a unit", s)
	}
	if d.DayBased() && d.TimeBased() {
		return Duration{}, fmt.Errorf("bad duration %q: mixes days and hours; a legal period is one or the other", s)
	}
	return d, nil
}

// MustParseDuration is ParseDuration for literals; it panics on a bad one.
func MustParseDuration(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DayBased reports whether the duration counts calendar units (years, months, weeks,
// days). Under irflow's convention such deadlines end at 23:59:59 local time of the
// last day.
func (d Duration) DayBased() bool { return d.Years+d.Months+d.Weeks+d.Days > 0 }

// TimeBased reports whether the duration counts hours, minutes or seconds: an exact
// span from the trigger instant.
func (d Duration) TimeBased() bool { return d.Hours+d.Minutes+d.Seconds > 0 }

// Span is the exact length of a time-based duration.
func (d Duration) Span() time.Duration {
	return time.Duration(d.Hours)*time.Hour + time.Duration(d.Minutes)*time.Minute + time.Duration(d.Seconds)*time.Second
}

// TotalDays is Weeks*7 + Days: the count business-day rules use.
func (d Duration) TotalDays() int { return d.Weeks*7 + d.Days }

// AddDate adds the day-based part to the civil date y-m-d, clamping a month or year
// step to the last day of a shorter month (31 January + P1M = 28/29 February).
func (d Duration) AddDate(y int, m time.Month, day int) (int, time.Month, int) {
	if d.Years != 0 || d.Months != 0 {
		total := int(m) - 1 + d.Months + 12*d.Years
		y += total / 12
		m = time.Month(total%12 + 1)
		if last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); day > last {
			day = last
		}
	}
	t := time.Date(y, m, day+d.TotalDays(), 0, 0, 0, 0, time.UTC)
	return t.Date()
}
