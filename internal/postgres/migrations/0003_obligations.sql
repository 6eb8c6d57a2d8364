-- One row per obligation clock, written by the clock itself on every change, before
-- and after its incident closes: the read model of every legal duty (lists, the
-- deadline board, reports, and actions on a closed incident's clocks).
CREATE TABLE obligations (
    incident_id       TEXT COLLATE "C" NOT NULL,
    obligation_id     TEXT COLLATE "C" NOT NULL,
    clock_workflow_id TEXT COLLATE "C" NOT NULL,
    rule              TEXT NOT NULL DEFAULT '',
    jurisdiction      TEXT NOT NULL DEFAULT '',
    audience          TEXT NOT NULL DEFAULT '',
    verification      TEXT NOT NULL DEFAULT '',
    depends_on        TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    trigger_at        TIMESTAMPTZ,
    due_at            TIMESTAMPTZ,
    fulfilled_at      TIMESTAMPTZ,
    -- revision orders writes: a retried or late save never moves a clock backwards.
    revision          BIGINT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    -- clock_json is the clock's whole state (fulfilment, pauses, reminders, history).
    clock_json        TEXT NOT NULL,
    PRIMARY KEY (clock_workflow_id)
);

CREATE INDEX obligations_incident ON obligations(incident_id, obligation_id);
CREATE INDEX obligations_due ON obligations(status, due_at);
CREATE INDEX obligations_depends_on ON obligations(incident_id, depends_on);
