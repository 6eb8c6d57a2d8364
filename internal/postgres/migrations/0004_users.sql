-- People who act on incidents, their roles and API tokens, and every
-- authorization decision (issue 9: every action is taken by an authenticated
-- person with a role, and the record says so).
CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    display       TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    slack_user_id TEXT NOT NULL DEFAULT '',
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Only the SHA-256 of a token is kept: a stolen database opens nothing.
CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL DEFAULT '',
    sha256       TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at DESC);

CREATE TABLE audit_log (
    seq         BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    TEXT NOT NULL,
    via         TEXT NOT NULL,
    action      TEXT NOT NULL,
    incident_id TEXT NOT NULL DEFAULT '',
    target      TEXT NOT NULL DEFAULT '',
    allowed     BOOLEAN NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);

-- The channel through which a timeline entry's actor acted (api, slack, web, cli,
-- system); empty for entries recorded before identities were verified.
ALTER TABLE timeline ADD COLUMN via TEXT NOT NULL DEFAULT '';
