-- Incidents as last written by the incident workflow. The workflow is the source of
-- truth; this table lets lists and searches run without Temporal.
--
-- Ids that lists sort on use the "C" collation: byte order, as in SQLite, whatever
-- locale the database was created with (en_US.UTF-8 would ignore dashes).
CREATE TABLE incidents (
    id           TEXT COLLATE "C" PRIMARY KEY,
    workflow_id  TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    playbook     TEXT NOT NULL,
    phase        TEXT NOT NULL,
    severity     TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL DEFAULT '',
    declared_at  TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    close_reason TEXT NOT NULL DEFAULT '',
    -- state_json is the full `state` query result at updated_at, kept as the text the
    -- workflow wrote: nothing queries inside it, and jsonb would refuse the \u0000
    -- escape Go writes for a NUL byte copied from a ticket.
    state_json   TEXT NOT NULL DEFAULT '{}',
    -- version orders writes: a retried or late activity never overwrites newer state.
    version      BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX incidents_declared_at ON incidents(declared_at DESC, id DESC);

-- The append-only timeline. (incident_id, seq) makes a retried write a no-op.
CREATE TABLE timeline (
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents(id),
    seq         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, seq)
);
