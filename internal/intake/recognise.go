package intake

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"irflow/internal/facts"
)

// Rules say what a Zendesk security notice looks like. The defaults describe mail
// from Zendesk's own domain whose subject or text speaks of a security incident; a
// subscriber whose notices come from another address (a forwarding mailbox, a
// regional Zendesk domain) adds it to SenderDomains.
type Rules struct {
	// SenderDomains are the domains a notice's From address may have (a subdomain
	// counts).
	SenderDomains []string
	// Signals are phrases of which at least one must appear in the subject or the
	// text.
	Signals *regexp.Regexp
}

// DefaultRules recognise mail from zendesk.com about a security incident.
func DefaultRules() Rules {
	return Rules{
		SenderDomains: []string{"zendesk.com"},
		Signals:       regexp.MustCompile(`(?i)security (incident|notification|breach|event)|data breach|personal data breach|unauthori[sz]ed (access|party|acquisition)`),
	}
}

// Recognition is what intake concluded about a message.
type Recognition struct {
	// Zendesk is true when the message is a Zendesk security notice.
	Zendesk bool `json:"zendesk"`
	// Reasons say what was checked and found, for the report either way.
	Reasons []string `json:"reasons"`
	// Reference is Zendesk's incident reference, when the notice gives one.
	Reference string `json:"reference,omitempty"`
	// Account is the Zendesk account (subdomain) the notice names.
	Account string `json:"account,omitempty"`
	// Facts is what the notice says, as the facts of a zendesk-service-breach
	// incident: the trigger instants at arrival, the cause, and the window, tickets
	// and data categories the text names.
	Facts facts.Document `json:"facts"`
	// Title is a title for the incident.
	Title string `json:"title"`
}

var (
	monthDate = `(?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}`
	isoDate   = `\d{4}-\d{2}-\d{2}`
	anyDate   = `(` + monthDate + `|` + isoDate + `)`
	betweenRe = regexp.MustCompile(`(?is)between\s+` + anyDate + `\s+and\s+` + anyDate)
	sinceRe   = regexp.MustCompile(`(?is)(?:on|since)\s+` + anyDate)
	ticketRe  = regexp.MustCompile(`#(\d+)`)
	accountRe = regexp.MustCompile(`(?i)\b([a-z0-9][a-z0-9-]*)\.zendesk\.com\b`)
	refRe     = regexp.MustCompile(`(?i)(?:incident )?reference(?: number| id)?:?\s*([A-Z0-9][A-Z0-9-]{3,})`)
	dkimRe    = regexp.MustCompile(`(?i)dkim=(\w+)(?:[^;]*header\.d=([\w.-]+))?`)
)

// categoryWords map phrases in a notice to facts data categories.
var categoryWords = []struct {
	re       *regexp.Regexp
	category string
}{
	{regexp.MustCompile(`(?i)e-?mail address|names?\b|phone number|postal address`), "contact"},
	{regexp.MustCompile(`(?i)password|credential|security question|api token`), "credentials"},
	{regexp.MustCompile(`(?i)social security|passport|driver'?s licen[cs]e|national id`), "government_id"},
	{regexp.MustCompile(`(?i)bank account|account number|financial`), "financial"},
	{regexp.MustCompile(`(?i)payment|credit card|card number`), "payment_card"},
	{regexp.MustCompile(`(?i)health|medical`), "health"},
	{regexp.MustCompile(`(?i)ticket (content|subjects?|comments?)|comments|attachments`), "other"},
}

// exposureVerbs mark a sentence that says what was exposed; categories are read
// from those and from an "information involved" section only, so "we rotated the
// affected credentials" does not make credentials a breached category.
var exposureVerbs = regexp.MustCompile(`(?i)\b(accessed|access to (?:read|view)|read|exposed|acquired|viewed|downloaded|exfiltrated|obtained|copied)\b`)

var involvedHeading = regexp.MustCompile(`(?i)^\s*what information was involved\s*$`)

var negation = regexp.MustCompile(`(?i)\bnot\b|\bno\b|\bnever\b|\bwere not\b|\bwas not\b`)

// Recognise decides whether m is a Zendesk security notice and reads what it says.
func Recognise(m Message, rules Rules) Recognition {
	r := Recognition{}
	domain := ""
	if at := strings.LastIndexByte(m.FromAddress, '@'); at >= 0 {
		domain = m.FromAddress[at+1:]
	}
	senderOK := false
	for _, d := range rules.SenderDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if domain == d || strings.HasSuffix(domain, "."+d) {
			senderOK = true
		}
	}
	if senderOK {
		r.Reasons = append(r.Reasons, fmt.Sprintf("sender %s is in a Zendesk domain", m.FromAddress))
	} else {
		r.Reasons = append(r.Reasons, fmt.Sprintf("sender %q is not in a Zendesk domain (%s)", m.FromAddress, strings.Join(rules.SenderDomains, ", ")))
	}
	signal := ""
	if rules.Signals != nil {
		if s := rules.Signals.FindString(m.Subject); s != "" {
			signal = "subject says " + strconvQuote(s)
		} else if s := rules.Signals.FindString(m.Text); s != "" {
			signal = "text says " + strconvQuote(s)
		}
	}
	if signal != "" {
		r.Reasons = append(r.Reasons, signal)
	} else {
		r.Reasons = append(r.Reasons, "neither subject nor text speaks of a security incident")
	}
	dkimFailed := false
	if m.AuthenticationResults != "" {
		for _, g := range dkimRe.FindAllStringSubmatch(m.AuthenticationResults, -1) {
			switch strings.ToLower(g[1]) {
			case "pass":
				r.Reasons = append(r.Reasons, "DKIM passed for "+g[2])
			case "fail", "permerror":
				dkimFailed = true
				r.Reasons = append(r.Reasons, "DKIM "+strings.ToLower(g[1])+": the sender is not authenticated")
			}
		}
	}
	r.Zendesk = senderOK && signal != "" && !dkimFailed

	if g := refRe.FindStringSubmatch(m.Text); g != nil {
		r.Reference = g[1]
	}
	for _, g := range accountRe.FindAllStringSubmatch(m.Text, -1) {
		if !strings.EqualFold(g[1], "www") {
			r.Account = strings.ToLower(g[1])
			break
		}
	}
	r.Facts = noticeFacts(m, r)
	r.Title = "Zendesk security notice"
	if r.Reference != "" {
		r.Title += " " + r.Reference
	}
	if m.Subject != "" {
		r.Title += ": " + m.Subject
	}
	if len(r.Title) > 200 {
		// Cut on a rune boundary: a title is UTF-8 text.
		cut := 200
		for cut > 0 && !utf8.RuneStart(r.Title[cut]) {
			cut--
		}
		r.Title = r.Title[:cut]
	}
	return r
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// noticeFacts is the facts document a recognised notice gives.
func noticeFacts(m Message, r Recognition) facts.Document {
	arrival := m.ReceivedAt
	yes := true
	d := facts.Document{
		Version: facts.Version,
		// SRM-VI.S.2: the subscriber's clocks run from receiving Zendesk's notice.
		Timeline: facts.Timeline{ZendeskNoticeReceivedAt: &arrival, AwareAt: &arrival},
		Cause:    facts.Cause{ServiceVulnerability: facts.Yes, ReportedByZendesk: &yes},
	}
	summary := "Zendesk notified a security incident affecting Service Data"
	if r.Account != "" {
		summary += " of " + r.Account + ".zendesk.com"
	}
	if r.Reference != "" {
		summary += " (Zendesk reference " + r.Reference + ")"
	}
	d.Summary = summary + ". Notice subject: " + m.Subject

	if g := betweenRe.FindStringSubmatch(m.Text); g != nil {
		from, ok1 := parseDate(g[1])
		to, ok2 := parseDate(g[2])
		if ok1 && ok2 && !to.Before(from) {
			end := to.Add(24*time.Hour - time.Second) // the whole last day
			d.Zendesk.Window = &facts.Window{From: &from, To: &end}
		}
	} else if g := sinceRe.FindStringSubmatch(m.Text); g != nil {
		if from, ok := parseDate(g[1]); ok {
			d.Zendesk.Window = &facts.Window{From: &from}
		}
	}

	seen := map[int64]bool{}
	cats := map[string]bool{}
	involved := map[string]bool{}
	for _, s := range sentences(involvedSection(m.Text)) {
		involved[s] = true
	}
	for _, sentence := range sentences(m.Text) {
		if strings.Contains(strings.ToLower(sentence), "ticket") {
			for _, g := range ticketRe.FindAllStringSubmatch(sentence, -1) {
				if id, err := strconv.ParseInt(g[1], 10, 64); err == nil && id > 0 && !seen[id] {
					seen[id] = true
					d.Zendesk.Tickets = append(d.Zendesk.Tickets, id)
				}
			}
		}
		if negation.MatchString(sentence) || (!involved[sentence] && !exposureVerbs.MatchString(sentence)) {
			continue // "passwords were not affected" names no category
		}
		for _, cw := range categoryWords {
			if cw.re.MatchString(sentence) {
				cats[cw.category] = true
			}
		}
	}
	for c := range cats {
		d.DataCategories = append(d.DataCategories, c)
	}
	sort.Strings(d.DataCategories)
	sort.Slice(d.Zendesk.Tickets, func(i, j int) bool { return d.Zendesk.Tickets[i] < d.Zendesk.Tickets[j] })
	return d
}

// involvedSection returns the text under a "What information was involved" heading,
// up to the next heading-like line (short, no full stop), or "".
func involvedSection(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if !involvedHeading.MatchString(l) {
			continue
		}
		var out []string
		for _, l := range lines[i+1:] {
			t := strings.TrimSpace(l)
			if t != "" && len(t) < 40 && !strings.ContainsAny(t, ".,:;#") {
				break
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	return ""
}

// sentences splits text at full stops and blank lines, joining wrapped lines.
func sentences(text string) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.Join(strings.Fields(para), " ")
		for _, s := range strings.Split(para, ". ") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func parseDate(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range []string{"January 2, 2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
