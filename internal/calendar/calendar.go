// Package calendar answers "is this a business day?" and "which day is n business
// days later?" for the calendars that notification deadlines are counted in.
//
// Every calendar is computed from the rules that define it (fixed dates, nth-weekday
// rules, Easter, observed-day and substitute-day rules), so it works for any year,
// not only the years someone typed in. The package is pure: no I/O and no clock.
//
// Each calendar has the IANA time zone its days are counted in. A date is the civil
// date in that zone, so an instant late on Friday evening in New York is still Friday
// there even though it is already Saturday in UTC. The zone data is embedded with
// time/tzdata so calendars behave the same on machines without a zoneinfo database.
package calendar

import (
	"fmt"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // zones must resolve on minimal containers and Windows, too
)

// Names of the built-in calendars.
const (
	// USFederal is the US federal calendar: weekends and the legal public holidays of
	// 5 U.S.C. 6103(a), with the observed-day rule of Executive Order 11582 (a holiday
	// on Saturday is observed on Friday, on Sunday on Monday). SEC filing deadlines
	// (Form 8-K Item 1.05) count in it. Time zone: America/New_York.
	USFederal = "us-federal"
	// BRNational is Brazil's national calendar: weekends and the national holidays of
	// Lei 662/1949 (as amended by Lei 10.607/2002), Lei 6.802/1980 (Oct 12) and
	// Lei 14.759/2023 (Nov 20, from 2024), plus Good Friday (Paixão de Cristo), the
	// Easter-based holiday on the federal calendar. Time zone: America/Sao_Paulo.
	BRNational = "br-national"
	// GBEngWal is the England and Wales calendar: weekends and the bank holidays of
	// the Banking and Financial Dealings Act 1971, Schedule 1, with substitute days,
	// plus the days moved or added by royal proclamation. Time zone: Europe/London.
	GBEngWal = "gb-eng-wal"
	// Weekends is the plain Monday-to-Friday calendar used where no holiday calendar
	// is established. Time zone: UTC unless the caller picks one with In.
	Weekends = "weekends"
)

// Holiday is one non-business day of a calendar other than a weekend day.
type Holiday struct {
	// Date is the civil date (midnight in the calendar's zone) the holiday falls on,
	// after any observed-day or substitute-day rule.
	Date time.Time
	// Name says which holiday it is, and "(observed)" or "(substitute day)" when the
	// day was moved.
	Name string
}

// Calendar is a business-day calendar in one time zone. The zero value is not usable;
// get one from ByName.
type Calendar struct {
	name     string
	zoneName string
	loc      *time.Location
	doc      string
	holidays func(year int) []Holiday
	// byDay caches, per year, the holidays keyed by civil date (yyyymmdd): deadline
	// arithmetic asks about the same few years over and over.
	byDay *sync.Map // int year -> map[int]string
}

var registry = map[string]struct {
	zone     string
	doc      string
	holidays func(loc *time.Location, year int) []Holiday
}{
	USFederal:  {"America/New_York", "US federal holidays (5 U.S.C. 6103) with observed days", usFederalHolidays},
	BRNational: {"America/Sao_Paulo", "Brazilian national holidays incl. Good Friday; Carnival and Corpus Christi are optional days (ponto facultativo) and count as business days", brNationalHolidays},
	GBEngWal:   {"Europe/London", "England and Wales bank holidays with substitute days and proclaimed changes", gbEngWalHolidays},
	Weekends:   {"UTC", "Saturdays and Sundays only", func(*time.Location, int) []Holiday { return nil }},
}

// Names lists the built-in calendar names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName returns the named built-in calendar in its documented time zone.
func ByName(name string) (*Calendar, error) {
	r, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown calendar %q (known: %v)", name, Names())
	}
	loc, err := time.LoadLocation(r.zone)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: load time zone %s: %w", name, r.zone, err)
	}
	c := &Calendar{name: name, zoneName: r.zone, loc: loc, doc: r.doc, byDay: &sync.Map{}}
	c.holidays = func(year int) []Holiday { return r.holidays(c.loc, year) }
	return c, nil
}

// MustByName is ByName for names known at compile time; it panics on an unknown name.
func MustByName(name string) *Calendar {
	c, err := ByName(name)
	if err != nil {
		panic(err)
	}
	return c
}

// In returns a copy of c that counts days in loc. Use it for the weekends calendar,
// whose zone depends on the jurisdiction; the holiday dates themselves do not move.
func (c *Calendar) In(loc *time.Location) *Calendar {
	cp := *c
	cp.loc = loc
	cp.zoneName = loc.String()
	cp.byDay = &sync.Map{}
	inner := c.holidays
	// Holidays are civil dates; re-express them at midnight in the new zone.
	cp.holidays = func(year int) []Holiday {
		hs := inner(year)
		out := make([]Holiday, len(hs))
		for i, h := range hs {
			y, m, d := h.Date.Date()
			out[i] = Holiday{Date: time.Date(y, m, d, 0, 0, 0, 0, loc), Name: h.Name}
		}
		return out
	}
	return &cp
}

// Name is the calendar's name, e.g. "us-federal".
func (c *Calendar) Name() string { return c.name }

// Location is the time zone the calendar counts days in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Description says in a few words what the calendar contains.
func (c *Calendar) Description() string { return c.doc }

// Holidays lists the holidays that fall in year (by their observed date), sorted.
// A holiday of the next year observed on 31 December (New Year's Day on a Saturday
// in the US) is listed in the year it falls in.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for _, y := range []int{year - 1, year, year + 1} {
		for _, h := range c.holidays(y) {
			if h.Date.Year() == year {
				out = append(out, h)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// HolidayName returns the name of the holiday on t's civil date in the calendar's
// zone, and false when that date is no holiday (weekends are not holidays).
func (c *Calendar) HolidayName(t time.Time) (string, bool) {
	y, m, d := t.In(c.loc).Date()
	days, ok := c.byDay.Load(y)
	if !ok {
		index := map[int]string{}
		for _, h := range c.Holidays(y) {
			hy, hm, hd := h.Date.Date()
			index[hy*10000+int(hm)*100+hd] = h.Name
		}
		days, _ = c.byDay.LoadOrStore(y, index)
	}
	name, hol := days.(map[int]string)[y*10000+int(m)*100+d]
	return name, hol
}

// IsBusinessDay reports whether t's civil date, in the calendar's zone, is neither a
// Saturday, a Sunday nor a holiday.
func (c *Calendar) IsBusinessDay(t time.Time) bool {
	t = t.In(c.loc)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := c.HolidayName(t)
	return !hol
}

// AddBusinessDays returns the instant with start's wall-clock time, in the calendar's
// zone, on the n-th business day after start's civil date. The start day itself never
// counts, whether or not it is a business day: "within 4 business days of the
// determination" made on a Saturday ends on Thursday. n = 0 returns start in the
// calendar's zone; a negative n counts backwards.
func (c *Calendar) AddBusinessDays(start time.Time, n int) time.Time {
	t := start.In(c.loc)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	for n > 0 {
		d += step
		day := time.Date(y, m, d, 12, 0, 0, 0, c.loc) // noon never falls in a DST gap
		if c.IsBusinessDay(day) {
			n--
		}
	}
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), c.loc)
}

// EndOfDay returns 23:59:59 on t's civil date in the calendar's zone: the moment a
// day-based deadline ends under irflow's convention.
func (c *Calendar) EndOfDay(t time.Time) time.Time {
	return EndOfDay(t, c.loc)
}

// EndOfDay returns 23:59:59 on t's civil date in loc.
func EndOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// Easter returns the date of Western (Gregorian) Easter Sunday in year, by the
// anonymous Gregorian algorithm (Meeus/Jones/Butcher), at midnight in loc.
func Easter(year int, loc *time.Location) time.Time {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
}

// nthWeekday returns the n-th (1-based) weekday wd of month; n = -1 means the last.
func nthWeekday(year int, month time.Month, wd time.Weekday, n int, loc *time.Location) time.Time {
	if n < 0 {
		last := time.Date(year, month+1, 0, 0, 0, 0, 0, loc)
		back := (int(last.Weekday()) - int(wd) + 7) % 7
		return last.AddDate(0, 0, -back)
	}
	first := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	fwd := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, fwd+7*(n-1))
}

func date(year int, month time.Month, day int, loc *time.Location) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, loc)
}
