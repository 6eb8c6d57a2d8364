-- The web UI's sign-in (issue 13): a user's password is kept only as an argon2id
-- hash in the PHC string format, salt and parameters inside it. Empty: no password
-- (API tokens or the identity provider only).
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
