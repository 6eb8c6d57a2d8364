-- Containment leases (issue 17 item 5): the incident that contained a Zendesk object
-- holds its lease and its undo; other incidents that contained the same object rely
-- on that change and register no undo of their own. A rollback passes the lease to
-- an open incident that relies on it instead of undoing the change.
CREATE TABLE containment_leases (
    object      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    incident_id TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    -- applied is the change to undo (a containment.ApplyResult as JSON) once the
    -- lease passed from the incident that made it; '' while that one holds it.
    applied     TEXT NOT NULL DEFAULT ''
);

CREATE INDEX containment_leases_incident ON containment_leases(incident_id);

-- The incidents relying on a lease's change, in the order they came.
CREATE TABLE containment_lease_relying (
    object      TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    -- seq orders the relying incidents when two came within one clock tick.
    seq         BIGSERIAL NOT NULL,
    since       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (object, incident_id)
);

CREATE INDEX containment_lease_relying_incident ON containment_lease_relying(incident_id);
