package slackbot

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSlashCommandAck measures how long Slack waits for the acknowledgement
// of a signed /incident command over HTTP on loopback, with 200 requests in
// flight at once: each op is a burst of 200 concurrent signed `note` commands
// (verified, parsed, queued, answered). It reports the p50 and p99 latency over
// every request of the run; the target is p99 under 100 ms (Slack allows 3 s).
//
//	go test ./internal/slackbot -run '^$' -bench SlashCommandAck -benchtime 20x
func BenchmarkSlashCommandAck(b *testing.B) {
	h := newHarness(b, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	const concurrent = 200
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for j := range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := commandBody("UCAROL", "CBENCH", "note INC-20260301-001 bench "+strconv.Itoa(i*concurrent+j))
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/slack/commands", strings.NewReader(body))
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req.Header.Set("Content-Type", form)
				req.Header.Set(HeaderTimestamp, ts)
				req.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(start)
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "requests")
}
