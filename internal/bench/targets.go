package bench

// Targets are the performance targets the issues set, each checked by a
// committed benchmark. A new target is one row here and a benchmark that reports
// its unit (ns/op, or b.ReportMetric); `irflow bench` then prints it.
var Targets = []Target{
	// The dev stack.
	{Package: "irflow/internal/app", Benchmark: "BenchmarkDevRestartToReady", Unit: "p50_ms", Op: "<", Value: 3000,
		Source: "issue 5 (measured there): irflow dev restarts to ready on an existing data folder in under 3 s"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkDeclareToShow", Unit: "median_ms", Op: "<", Value: 200,
		Source: "issue 5 (measured there): a declared incident shows in under 200 ms (median)"},
	// Issue 5: obligation clocks.
	{Package: "irflow/internal/obligations", Benchmark: "BenchmarkCompute60Jurisdictions", Unit: "ns/op", Op: "<", Value: 1e6,
		Source: "issue 5: obligations of 60 jurisdictions computed in under 1 ms"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkObligationClocks1000", Unit: "start_1000_s", Op: "<", Value: 30,
		Source: "issue 5: 1,000 concurrent clocks started in under 30 s"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkObligationClocks1000", Unit: "over_2s", Op: "==", Value: 0,
		Source: "issue 5: every reminder within 2 s of its instant"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkObligationClocks1000", Unit: "missing", Op: "==", Value: 0,
		Source: "issue 5: no reminder lost"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkObligationClocks1000", Unit: "duplicates", Op: "==", Value: 0,
		Source: "issue 5: no reminder sent twice"},
	// Issue 6: evidence collection against Zendesk's rate limits.
	{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkAuditLogCollection100k/*", Unit: "%limit", Op: ">=", Value: 90,
		Source: "issue 6: collection runs at 90% or more of the rate limit"},
	{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkAuditLogCollection100k/*", Unit: "%429", Op: "<=", Value: 1,
		Source: "issue 6: at most 1% of requests answered 429"},
	{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkAuditLogCollection100k/*", Unit: "lost", Op: "==", Value: 0,
		Source: "issue 6: no record lost"},
	{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkAuditLogCollection100k/*", Unit: "duplicates", Op: "==", Value: 0,
		Source: "issue 6: no record duplicated"},
	// Issue 8: reads of closed incidents from the store, and history growth.
	{Package: "irflow/internal/service", Benchmark: "BenchmarkClosedIncidentReads/show", Unit: "p50_ms", Op: "<", Value: 50,
		Source: "issue 8: show of a closed incident (2,000 entries, 100 clocks) under 50 ms (p50)"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkHistoryPerNote", Unit: "history-bytes/note", Op: "<", Value: 2048,
		Source: "issue 8: a note adds under 2 KB to the workflow history"},
	// Issue 17: a declare burst.
	{Package: "irflow/internal/app", Benchmark: "BenchmarkDeclareBurst", Unit: "declares/s", Op: ">=", Value: 100,
		Source: "issue 17: 100 declares/s or more in a burst"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkDeclareBurst", Unit: "p99_ms", Op: "<", Value: 1000,
		Source: "issue 17: a declare in a burst answers within 1 s (p99)"},
	// Issue 11: Slack.
	{Package: "irflow/internal/slackbot", Benchmark: "BenchmarkSlashCommandAck", Unit: "p99-ms", Op: "<", Value: 100,
		Source: "issue 11: HTTP slash-command ack p99 under 100 ms at 200 concurrent signed requests"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkSlackCardAfterPhaseChange", Unit: "p50-ms", Op: "<", Value: 1000,
		Source: "issue 11: status card updated after a phase change in under 1 s (p50) on irflow dev"},
	// Issue 12: notices.
	{Package: "irflow/internal/app", Benchmark: "BenchmarkNoticeFanOut10k", Unit: "s/10k", Op: "<", Value: 60,
		Source: "issue 12: 10,000 notices to the local SMTP server in under 60 s"},
	{Package: "irflow/internal/app", Benchmark: "BenchmarkNoticeFanOut10k", Unit: "duplicates", Op: "==", Value: 0,
		Source: "issue 12: zero duplicates after a worker restart midway"},
	// Issue 13: the web UI and reports.
	{Package: "irflow/internal/web", Benchmark: "BenchmarkBoard", Unit: "ms-median", Op: "<", Value: 200,
		Source: "issue 13: the deadline board (1,000 incidents, 10,000 obligations) renders in under 200 ms (median)"},
	{Package: "irflow/internal/report", Benchmark: "BenchmarkReport10kTimeline/*", Unit: "ns/op", Op: "<", Value: 2e9,
		Source: "issue 13: a report of 10,000 timeline entries in under 2 s"},
	// Issue 15: scale-out.
	{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkSharedBudget/*", Unit: "%off", Op: "<=", Value: 2,
		Source: "issue 15: the shared Zendesk rate budget held within 2% with 3 workers"},
}
