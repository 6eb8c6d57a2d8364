-- Rate budgets shared by every process using this store (issue 15): per key, the
-- earliest instant in Unix nanoseconds the next request may go.
CREATE TABLE rate_budgets (
    key    TEXT PRIMARY KEY,
    tat_ns INTEGER NOT NULL
);
