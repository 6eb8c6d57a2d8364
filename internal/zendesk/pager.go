package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// DefaultPageSize is the page size requested when ListOptions.PageSize is zero; 100
// is the maximum most cursor endpoints accept (reference C3).
const DefaultPageSize = 100

// ListOptions selects pagination for a list call.
type ListOptions struct {
	// PageSize is page[size] (cursor) or per_page (offset); default 100.
	PageSize int
	// After resumes a cursor list after this cursor (a Page's AfterCursor).
	After string
	// NextURL resumes any list, in any pagination style, from a Page's NextURL.
	// It overrides every other option: the URL already carries filters and cursor.
	NextURL string
	// Offset asks for legacy offset pagination (page, per_page) instead of cursors.
	// Zendesk answers 400 InvalidPaginationDepth beyond the first 10,000 records.
	Offset bool
}

// Page is one page of a list, with what is needed to checkpoint and resume.
type Page[T any] struct {
	Items []T
	// HasMore is true when another page exists (meta.has_more, a non-null
	// next_page, or end_of_stream false).
	HasMore bool
	// AfterCursor is meta.after_cursor (cursor lists) or after_cursor (incremental
	// cursor exports). Pass it as ListOptions.After / IncrementalOptions.Cursor.
	AfterCursor string
	// BeforeCursor is meta.before_cursor, when the endpoint sends one.
	BeforeCursor string
	// NextURL is the absolute URL of the next page (links.next, next_page or
	// after_url). Pass it as ListOptions.NextURL / IncrementalOptions.NextURL.
	NextURL string
	// EndOfStream is the incremental exports' end_of_stream.
	EndOfStream bool
	// EndTime is a time-based export's end_time (Unix seconds): the start_time of
	// the next poll.
	EndTime int64
	// Count is the offset-style and time-based "count" field.
	Count int
	// Duplicates counts items a time-based export repeated and the pager dropped.
	Duplicates int
	// Seen lists the dedupe keys of items stamped exactly EndTime: the next page
	// (start_time=EndTime) repeats them. Pass them as IncrementalOptions.Seen when
	// resuming from EndTime so a resumed stream stays duplicate-free.
	Seen []string
	// RequestID is the x-request-id of this page's response.
	RequestID string
}

// Pager walks a list page by page. Next fetches one page; More says whether there is
// another. Create pagers with the Client's List* and Incremental* methods.
type Pager[T any] struct {
	c     *Client
	key   string
	next  string
	query url.Values
	done  bool
	// dedupe, for time-based exports, returns an item's key and timestamp.
	dedupe func(T) (key string, ts int64)
	seen   map[string]int64 // delivered keys that a later page may repeat
	err    error
}

func newPager[T any](c *Client, key, path string, q url.Values, opts ListOptions) *Pager[T] {
	p := &Pager[T]{c: c, key: key, next: path, query: q}
	switch {
	case opts.NextURL != "":
		p.next, p.query = opts.NextURL, nil
	case opts.Offset:
		size := opts.PageSize
		if size <= 0 {
			size = DefaultPageSize
		}
		q.Set("per_page", strconv.Itoa(size))
	default:
		size := opts.PageSize
		if size <= 0 {
			size = DefaultPageSize
		}
		q.Set("page[size]", strconv.Itoa(size))
		if opts.After != "" {
			q.Set("page[after]", opts.After)
		}
	}
	return p
}

// More reports whether Next has another page to fetch.
func (p *Pager[T]) More() bool { return !p.done && p.err == nil }

// Next fetches the next page. After the last page More returns false; calling Next
// then returns an error.
func (p *Pager[T]) Next(ctx context.Context) (*Page[T], error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.done {
		return nil, fmt.Errorf("zendesk %s list: no more pages", p.key)
	}
	var raw map[string]json.RawMessage
	meta, err := p.c.get(ctx, p.next, p.query, &raw)
	if err != nil {
		return nil, fmt.Errorf("list zendesk %s: %w", p.key, err)
	}
	page := &Page[T]{RequestID: meta.RequestID}
	if v, ok := raw[p.key]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &page.Items); err != nil {
			return nil, fmt.Errorf("decode zendesk %s page (request_id=%s): %w", p.key, meta.RequestID, err)
		}
	} else if !ok {
		p.err = fmt.Errorf("zendesk %s list: response has no %q key (request_id=%s)", p.key, p.key, meta.RequestID)
		return nil, p.err
	}
	if err := p.readPagination(raw, page); err != nil {
		p.err = fmt.Errorf("zendesk %s list (request_id=%s): %w", p.key, meta.RequestID, err)
		return nil, p.err
	}
	if p.dedupe != nil {
		p.dedupePage(page)
	}
	p.query = nil
	if page.HasMore && page.NextURL != "" {
		p.next = page.NextURL
	} else {
		p.done = true
	}
	return page, nil
}

// readPagination recognises the four pagination envelopes: cursor (meta/links),
// incremental cursor (after_cursor/after_url/end_of_stream), time-based
// (end_time/next_page/end_of_stream) and offset (next_page/count).
func (p *Pager[T]) readPagination(raw map[string]json.RawMessage, page *Page[T]) error {
	str := func(k string) string {
		var s *string
		if v, ok := raw[k]; ok {
			_ = json.Unmarshal(v, &s)
		}
		if s == nil {
			return ""
		}
		return *s
	}
	if v, ok := raw["count"]; ok {
		_ = json.Unmarshal(v, &page.Count)
	}
	if v, ok := raw["end_of_stream"]; ok {
		if err := json.Unmarshal(v, &page.EndOfStream); err != nil {
			return fmt.Errorf("end_of_stream: %w", err)
		}
		page.HasMore = !page.EndOfStream
		page.AfterCursor = str("after_cursor")
		if v, ok := raw["end_time"]; ok {
			_ = json.Unmarshal(v, &page.EndTime)
		}
		page.NextURL = str("after_url")
		if page.NextURL == "" {
			page.NextURL = str("next_page")
		}
		if page.HasMore && page.NextURL == "" {
			return fmt.Errorf("end_of_stream is false but there is no after_url or next_page")
		}
		return nil
	}
	if v, ok := raw["meta"]; ok {
		var m struct {
			HasMore      bool   `json:"has_more"`
			AfterCursor  string `json:"after_cursor"`
			BeforeCursor string `json:"before_cursor"`
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		var l struct {
			Next string `json:"next"`
		}
		if v, ok := raw["links"]; ok {
			_ = json.Unmarshal(v, &l)
		}
		page.HasMore, page.AfterCursor, page.BeforeCursor = m.HasMore, m.AfterCursor, m.BeforeCursor
		page.NextURL = l.Next
		if page.HasMore && page.NextURL == "" {
			if m.AfterCursor == "" {
				return fmt.Errorf("meta.has_more is true but there is no links.next or meta.after_cursor")
			}
			page.NextURL = p.withAfter(m.AfterCursor)
		}
		return nil
	}
	// Offset pagination (and unpaginated lists, which have no next_page).
	page.NextURL = str("next_page")
	page.HasMore = page.NextURL != ""
	return nil
}

// withAfter rebuilds the current request with page[after] set, for a cursor
// response without links.
func (p *Pager[T]) withAfter(cursor string) string {
	u, err := p.c.resolve(p.next, p.query)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("page[after]", cursor)
	u.RawQuery = q.Encode()
	return u.String()
}

// dedupePage drops items a time-based export repeats. Zendesk's next page starts at
// end_time inclusive, so items stamped end_time (or, after a retry, anything in the
// same second) come again. The pager remembers every key it delivered whose
// timestamp is at or after the next start_time and forgets older ones, which can
// never be sent again: memory stays bounded however long the stream, and nothing new
// is ever dropped.
func (p *Pager[T]) dedupePage(page *Page[T]) {
	if p.seen == nil {
		p.seen = map[string]int64{}
	}
	kept := page.Items[:0]
	for _, it := range page.Items {
		k, ts := p.dedupe(it)
		if _, dup := p.seen[k]; dup {
			page.Duplicates++
			continue
		}
		p.seen[k] = ts
		kept = append(kept, it)
	}
	page.Items = kept
	for k, ts := range p.seen {
		if ts < page.EndTime {
			delete(p.seen, k)
		}
	}
	page.Seen = make([]string, 0, len(p.seen))
	for k := range p.seen {
		page.Seen = append(page.Seen, k)
	}
	sort.Strings(page.Seen)
}

// dedupeKey is the key of one version of a record: id plus its timestamp, as the
// reference (B3) recommends for time-based exports.
func dedupeKey(id, ts int64) string {
	return strconv.FormatInt(id, 10) + "@" + strconv.FormatInt(ts, 10)
}

// parseDedupeKey reads the timestamp back out of a dedupeKey.
func parseDedupeKey(k string) (int64, bool) {
	i := strings.LastIndexByte(k, '@')
	if i < 0 {
		return 0, false
	}
	ts, err := strconv.ParseInt(k[i+1:], 10, 64)
	return ts, err == nil
}

// ListAll calls fn with every page of p, in order, until the last page or until fn
// returns an error. fn is the place to checkpoint page.AfterCursor or page.NextURL.
func ListAll[T any](ctx context.Context, p *Pager[T], fn func(*Page[T]) error) error {
	for p.More() {
		page, err := p.Next(ctx)
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}

// All collects every item of p. Use ListAll for large lists.
func All[T any](ctx context.Context, p *Pager[T]) ([]T, error) {
	var out []T
	err := ListAll(ctx, p, func(pg *Page[T]) error {
		out = append(out, pg.Items...)
		return nil
	})
	return out, err
}
