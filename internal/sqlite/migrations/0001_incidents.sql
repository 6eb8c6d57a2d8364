-- Incidents as last written by the incident workflow. The workflow is the source of
-- truth; this table lets lists and searches run without Temporal.
CREATE TABLE incidents (
    id           TEXT PRIMARY KEY,
    workflow_id  TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    playbook     TEXT NOT NULL,
    phase        TEXT NOT NULL,
    severity     TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    declared_at  TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    closed_at    TIMESTAMP,
    close_reason TEXT NOT NULL DEFAULT '',
    -- state_json is the full `state` query result at updated_at.
    state_json   TEXT NOT NULL DEFAULT '{}',
    -- version orders writes: a retried or late activity never overwrites newer state.
    version      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX incidents_declared_at ON incidents(declared_at);

-- The append-only timeline. (incident_id, seq) makes a retried write a no-op.
CREATE TABLE timeline (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    seq         INTEGER NOT NULL,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, seq)
);
