-- The SHA-256 of each evidence manifest an incident wrote. Kept outside the evidence
-- folder so that replacing a manifest together with its data files is detected by
-- `irflow evidence verify` (chain of custody).
CREATE TABLE evidence_manifests (
    -- seq is the order in which saves reached the store (SQLite's rowid): "latest"
    -- never depends on a clock that may tick coarsely or step back.
    seq           BIGSERIAL NOT NULL UNIQUE,
    incident_id   TEXT COLLATE "C" NOT NULL,
    manifest_path TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    files         INTEGER NOT NULL,
    records       BIGINT NOT NULL,
    gaps          INTEGER NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, sha256)
);

CREATE INDEX evidence_manifests_latest ON evidence_manifests(incident_id, seq DESC);
