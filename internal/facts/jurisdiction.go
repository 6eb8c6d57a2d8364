package facts

import (
	"fmt"
	"strings"
)

// countries is every officially assigned ISO 3166-1 alpha-2 code (249 codes).
// Exceptionally or user-assigned codes (EU, UK, EL, XK, ...) are not countries here;
// hints below point the responder to the right code.
var countries = setOf(`
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW`)

// subdivisions holds the complete ISO 3166-2 lists for the countries whose
// sub-national units have their own breach laws that irflow's rules name: the US
// (50 states, DC and the outlying areas that ISO 3166-2:US lists), Canada (provinces
// and territories) and Australia (states and territories). For these countries a code
// not in the list is rejected; for every other country any syntactically valid
// ISO 3166-2 code is accepted.
var subdivisions = map[string]map[string]bool{
	"US": setOf(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY
DC AS GU MP PR UM VI`),
	"CA": setOf(`AB BC MB NB NL NS NT NU ON PE QC SK YT`),
	"AU": setOf(`ACT NSW NT QLD SA TAS VIC WA`),
}

// eea is the European Economic Area: the 27 EU member states plus Iceland,
// Liechtenstein and Norway. ISO gives separate alpha-2 codes to some territories
// that are part of the EU itself: the outermost regions of France (TFEU Art. 349 and
// 355(1): GF, GP, MQ, RE, YT, MF) and Åland, which is part of Finland (TFEU Art.
// 355(4): AX). They are in the EEA too. The Faroe Islands (FO) and Greenland (GL)
// are not.
var eea = setOf(`AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE
IS LI NO
GF GP MQ RE YT MF AX`)

// countryHints maps common non-ISO spellings to the code the responder meant.
var countryHints = map[string]string{
	"UK": "GB", "EL": "GR", "EU": "an EU member state's code, e.g. DE",
	"EEA": "an EEA country's code, e.g. NO", "USA": "US", "UAE": "AE",
}

func setOf(list string) map[string]bool {
	m := make(map[string]bool)
	for _, c := range strings.Fields(list) {
		m[c] = true
	}
	return m
}

// CheckJurisdiction reports whether code is an ISO 3166-1 alpha-2 country code
// ("DE") or an ISO 3166-2 subdivision code ("US-CA", "CA-QC"), and if not, why.
func CheckJurisdiction(code string) error {
	if code == "" {
		return fmt.Errorf("must be an ISO 3166 code such as DE or US-CA")
	}
	if up := strings.ToUpper(code); up != code && CheckJurisdiction(up) == nil {
		return fmt.Errorf("%q must be upper case: %q", code, up)
	}
	cc, sub, isSub := strings.Cut(code, "-")
	if !countries[cc] {
		if hint, ok := countryHints[cc]; ok {
			return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code (use %s)", cc, hint)
		}
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code", cc)
	}
	if !isSub {
		return nil
	}
	if !subdivisionSyntax(sub) {
		return fmt.Errorf("%q is not an ISO 3166-2 code: the part after %q must be 1 to 3 letters or digits", code, cc+"-")
	}
	if known, complete := subdivisions[cc]; complete && !known[sub] {
		return fmt.Errorf("%q is not an ISO 3166-2 subdivision of %s", code, cc)
	}
	return nil
}

func subdivisionSyntax(s string) bool {
	if len(s) < 1 || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Country returns the ISO 3166-1 alpha-2 country of a jurisdiction code: "US" for
// "US-CA", "DE" for "DE". It returns "" when code is not a valid jurisdiction.
func Country(code string) string {
	if CheckJurisdiction(code) != nil {
		return ""
	}
	cc, _, _ := strings.Cut(code, "-")
	return cc
}

// IsEEA reports whether a jurisdiction code (a country, or a subdivision of one) is
// in the European Economic Area, where the GDPR applies: the EU 27 (including the
// territories ISO codes separately, see eea) plus Iceland, Liechtenstein and Norway.
func IsEEA(code string) bool {
	return eea[Country(code)]
}
