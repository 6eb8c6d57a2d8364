package calendar

import "time"

// usFederalHolidays lists the legal public holidays of 5 U.S.C. 6103(a) for year, on
// the day they are observed (Executive Order 11582; 5 U.S.C. 6103(b)): a holiday on a
// Saturday is observed the Friday before, on a Sunday the Monday after. New Year's
// Day on a Saturday is therefore observed on 31 December of the year before, which
// Holidays attributes to that earlier year.
//
// Inauguration Day (5 U.S.C. 6103(c)) is left out: it is a holiday only for federal
// employees in the Washington, D.C. area. Ad-hoc closures by executive order (e.g.
// Christmas Eve in some years) are not legal public holidays and are left out too.
func usFederalHolidays(loc *time.Location, year int) []Holiday {
	observed := func(d time.Time, name string) Holiday {
		switch d.Weekday() {
		case time.Saturday:
			return Holiday{Date: d.AddDate(0, 0, -1), Name: name + " (observed)"}
		case time.Sunday:
			return Holiday{Date: d.AddDate(0, 0, 1), Name: name + " (observed)"}
		}
		return Holiday{Date: d, Name: name}
	}
	hs := []Holiday{
		observed(date(year, time.January, 1, loc), "New Year's Day"),
		{nthWeekday(year, time.January, time.Monday, 3, loc), "Birthday of Martin Luther King, Jr."},
		{nthWeekday(year, time.February, time.Monday, 3, loc), "Washington's Birthday"},
		{nthWeekday(year, time.May, time.Monday, -1, loc), "Memorial Day"},
	}
	// Juneteenth National Independence Day Act, Pub. L. 117-17 (17 June 2021).
	if year >= 2021 {
		hs = append(hs, observed(date(year, time.June, 19, loc), "Juneteenth National Independence Day"))
	}
	hs = append(hs,
		observed(date(year, time.July, 4, loc), "Independence Day"),
		Holiday{nthWeekday(year, time.September, time.Monday, 1, loc), "Labor Day"},
		Holiday{nthWeekday(year, time.October, time.Monday, 2, loc), "Columbus Day"},
		observed(date(year, time.November, 11, loc), "Veterans Day"),
		Holiday{nthWeekday(year, time.November, time.Thursday, 4, loc), "Thanksgiving Day"},
		observed(date(year, time.December, 25, loc), "Christmas Day"),
	)
	return hs
}

// brNationalHolidays lists Brazil's national holidays for year. Brazilian holidays
// that fall on a weekend are not moved. Carnival (Monday and Tuesday before Ash
// Wednesday) and Corpus Christi are "pontos facultativos" on the federal calendar,
// not legal holidays, so they count as business days here: for a deadline that is the
// cautious reading (an earlier due date). Whether state and municipal holidays also
// suspend ANPD's "dias úteis" is not established (UNVERIFIED in the reference).
func brNationalHolidays(loc *time.Location, year int) []Holiday {
	easter := Easter(year, loc)
	hs := []Holiday{
		{date(year, time.January, 1, loc), "Confraternização Universal"},
		// Paixão de Cristo: Lei 9.093/1995 Art. 2; on the federal holiday portaria every year.
		{easter.AddDate(0, 0, -2), "Paixão de Cristo (Good Friday)"},
		{date(year, time.April, 21, loc), "Tiradentes"},
		{date(year, time.May, 1, loc), "Dia do Trabalho"},
		{date(year, time.September, 7, loc), "Independência do Brasil"},
		{date(year, time.October, 12, loc), "Nossa Senhora Aparecida"},
		{date(year, time.November, 2, loc), "Finados"},
		{date(year, time.November, 15, loc), "Proclamação da República"},
	}
	// Lei 14.759/2023 made 20 November a national holiday from 2024.
	if year >= 2024 {
		hs = append(hs, Holiday{date(year, time.November, 20, loc), "Dia Nacional de Zumbi e da Consciência Negra"})
	}
	hs = append(hs, Holiday{date(year, time.December, 25, loc), "Natal"})
	return hs
}

// gbProclamations records the England and Wales bank holidays that royal proclamation
// moved or added (Banking and Financial Dealings Act 1971 s.1(2)-(3)). The rules in
// gbEngWalHolidays give every other year; only these one-off changes are listed.
var gbProclamations = map[int]struct {
	moved map[string]time.Time // rule-based holiday name -> the day it moved to
	added []Holiday
}{
	1995: {moved: map[string]time.Time{"Early May bank holiday": date(1995, time.May, 8, time.UTC)}},
	1999: {added: []Holiday{{date(1999, time.December, 31, time.UTC), "Millennium Celebrations"}}},
	2002: {
		moved: map[string]time.Time{"Spring bank holiday": date(2002, time.June, 4, time.UTC)},
		added: []Holiday{{date(2002, time.June, 3, time.UTC), "Golden Jubilee bank holiday"}},
	},
	2011: {added: []Holiday{{date(2011, time.April, 29, time.UTC), "Wedding of Prince William and Catherine Middleton"}}},
	2012: {
		moved: map[string]time.Time{"Spring bank holiday": date(2012, time.June, 4, time.UTC)},
		added: []Holiday{{date(2012, time.June, 5, time.UTC), "Diamond Jubilee bank holiday"}},
	},
	2020: {moved: map[string]time.Time{"Early May bank holiday": date(2020, time.May, 8, time.UTC)}}, // VE Day 75
	2022: {
		moved: map[string]time.Time{"Spring bank holiday": date(2022, time.June, 2, time.UTC)},
		added: []Holiday{
			{date(2022, time.June, 3, time.UTC), "Platinum Jubilee bank holiday"},
			{date(2022, time.September, 19, time.UTC), "State Funeral of Queen Elizabeth II"},
		},
	},
	2023: {added: []Holiday{{date(2023, time.May, 8, time.UTC), "Coronation of King Charles III"}}},
}

// gbEngWalHolidays lists the England and Wales bank holidays for year: New Year's Day,
// Good Friday and Christmas Day (common-law and proclaimed holidays), Easter Monday,
// the early May, spring and summer bank holidays and Boxing Day (1971 Act, Schedule
// 1), each moved to the next free weekday when it falls on a weekend, in the order
// the Act's substitute days are given (Christmas on a Saturday: Monday 27th; Boxing
// Day then on Tuesday 28th).
func gbEngWalHolidays(loc *time.Location, year int) []Holiday {
	easter := Easter(year, loc)
	rule := []Holiday{
		{date(year, time.January, 1, loc), "New Year's Day"},
		{easter.AddDate(0, 0, -2), "Good Friday"},
		{easter.AddDate(0, 0, 1), "Easter Monday"},
		{nthWeekday(year, time.May, time.Monday, 1, loc), "Early May bank holiday"},
		{nthWeekday(year, time.May, time.Monday, -1, loc), "Spring bank holiday"},
		{nthWeekday(year, time.August, time.Monday, -1, loc), "Summer bank holiday"},
		{date(year, time.December, 25, loc), "Christmas Day"},
		{date(year, time.December, 26, loc), "Boxing Day"},
	}
	p := gbProclamations[year]
	for i, h := range rule {
		if d, ok := p.moved[h.Name]; ok {
			y, m, dd := d.Date()
			rule[i].Date = date(y, m, dd, loc)
		}
	}
	taken := map[time.Time]bool{}
	for _, h := range rule {
		taken[h.Date] = true
	}
	out := make([]Holiday, 0, len(rule)+len(p.added))
	for _, h := range rule {
		if wd := h.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, h)
			continue
		}
		d := h.Date
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || taken[d] {
			d = d.AddDate(0, 0, 1)
		}
		taken[d] = true
		out = append(out, Holiday{Date: d, Name: h.Name + " (substitute day)"})
	}
	for _, h := range p.added {
		y, m, dd := h.Date.Date()
		out = append(out, Holiday{Date: date(y, m, dd, loc), Name: h.Name})
	}
	return out
}
