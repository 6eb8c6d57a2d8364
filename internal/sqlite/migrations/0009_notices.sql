-- Notices (issue 12): the notice drafted for each obligation, its approval (the
-- approved text and its SHA-256), the per-recipient delivery state of its fan-out,
-- and every email the intake received, kept whole with its hash.
CREATE TABLE notices (
    incident_id     TEXT NOT NULL,
    obligation_id   TEXT NOT NULL,
    rule            TEXT NOT NULL DEFAULT '',
    template        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL DEFAULT '',
    text_sha256     TEXT NOT NULL DEFAULT '',
    inputs_json     TEXT NOT NULL DEFAULT '{}',
    drafted_by      TEXT NOT NULL DEFAULT '',
    drafted_at      TIMESTAMP NOT NULL,
    edited_by       TEXT NOT NULL DEFAULT '',
    edits           INTEGER NOT NULL DEFAULT 0,
    approved_text   TEXT NOT NULL DEFAULT '',
    approved_sha256 TEXT NOT NULL DEFAULT '',
    approved_by     TEXT NOT NULL DEFAULT '',
    approved_at     TIMESTAMP,
    channel         TEXT NOT NULL DEFAULT '',
    delivery_ref    TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    revision        INTEGER NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, obligation_id)
);

-- One row per recipient: the fan-out claims queued rows, sends, and records the
-- outcome, so a restarted worker resumes where the last one stopped and never
-- sends to a recipient already sent.
CREATE TABLE notice_recipients (
    incident_id   TEXT NOT NULL,
    obligation_id TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    address       TEXT NOT NULL,
    address_key   TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    msg_key       TEXT NOT NULL,
    state         TEXT NOT NULL,
    message_id    TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_at       TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, obligation_id, seq),
    UNIQUE (incident_id, obligation_id, address_key)
);

CREATE INDEX notice_recipients_state ON notice_recipients(incident_id, obligation_id, state, seq);

CREATE TABLE intake_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL UNIQUE,
    received_at TIMESTAMP NOT NULL,
    via         TEXT NOT NULL DEFAULT '',
    mail_from   TEXT NOT NULL DEFAULT '',
    from_header TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    incident_id TEXT NOT NULL DEFAULT '',
    raw         BLOB NOT NULL
);
