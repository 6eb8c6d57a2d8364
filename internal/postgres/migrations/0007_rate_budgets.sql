-- Rate budgets shared by every worker and server using this database (issue 15):
-- per key, the earliest instant in Unix nanoseconds (by the database's clock) the
-- next request may go.
CREATE TABLE rate_budgets (
    key    TEXT PRIMARY KEY,
    tat_ns BIGINT NOT NULL
);
