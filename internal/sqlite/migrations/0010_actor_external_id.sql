-- The actor's own id in the channel they acted through (issue 11: "accepted
-- actions are recorded via slack with the Slack user id"): the Slack user id of an
-- action taken in Slack, empty for channels whose only user id is irflow's (api,
-- web, cli, system) and for rows recorded before it was kept.
ALTER TABLE audit_log ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
