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
