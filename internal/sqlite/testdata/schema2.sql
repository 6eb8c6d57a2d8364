-- A store as irflow wrote it before migration 0003 (obligations): the migrations
-- table Open creates, migrations 0001 and 0002 as shipped, and one closed incident
-- with its timeline and evidence manifest, times in the text form mattn/go-sqlite3
-- writes. TestOpenMigratesSchema2Store opens it with the current code.
CREATE TABLE migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL);

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

-- The SHA-256 of each evidence manifest an incident wrote. Kept outside the evidence
-- folder so that replacing a manifest together with its data files is detected by
-- `irflow evidence verify` (chain of custody).
CREATE TABLE evidence_manifests (
    incident_id   TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    files         INTEGER NOT NULL,
    records       INTEGER NOT NULL,
    gaps          INTEGER NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, sha256)
);

INSERT INTO migrations (version, name, applied_at) VALUES
    (1, '0001_incidents.sql', '2026-03-01 09:00:00.5+00:00'),
    (2, '0002_evidence.sql', '2026-03-01 09:00:00.6+00:00');

INSERT INTO incidents (id, workflow_id, title, playbook, phase, severity, owner, declared_at, updated_at,
    closed_at, close_reason, state_json, version)
VALUES ('INC-20260306-001', 'incident-INC-20260306-001', 'Maya''s account taken over', 'credential-compromise',
    'closed', 'SEV2', 'alice', '2026-03-06 14:00:00.123456+00:00', '2026-03-06 16:30:00+00:00',
    '2026-03-06 16:30:00+00:00', 'contained', '{"id":"INC-20260306-001","phase":"closed"}', 7);

INSERT INTO timeline (incident_id, seq, at, actor, kind, text, data) VALUES
    ('INC-20260306-001', 1, '2026-03-06 14:00:00.123456+00:00', 'alice', 'declared', 'Declared', ''),
    ('INC-20260306-001', 2, '2026-03-06 14:05:00.5+00:00', 'irflow', 'ownership', 'Ownership: customer', '{"srm":"VI.2"}'),
    ('INC-20260306-001', 3, '2026-03-06 16:30:00+00:00', 'alice', 'closed', 'Closed: contained', '');

INSERT INTO evidence_manifests (incident_id, manifest_path, sha256, files, records, gaps, recorded_at) VALUES
    ('INC-20260306-001', '/data/evidence/INC-20260306-001/manifest.json', '9f86d081884c7d65', 4, 1200, 1,
     '2026-03-06 15:00:00.25+00:00');
