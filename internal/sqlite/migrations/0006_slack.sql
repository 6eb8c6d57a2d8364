-- The Slack objects irflow created for incidents (issue 11): channels, status
-- cards and posted notifications, so retries edit them instead of posting again.
CREATE TABLE slack_refs (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    channel     TEXT NOT NULL,
    ts          TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE INDEX slack_refs_kind_channel ON slack_refs (kind, channel);
