-- admit_send judges a send against the workspace's frequency caps and keeps
-- the decision, as one statement: one round trip where a transaction took
-- five (begin, lock, decide, record, commit) on every send's hot path.
-- It takes the same per-user lock as the transaction did (workspace ids
-- hold no slash, so workspace/user names one user), so processes of
-- the release before this one, still running during an upgrade, and this
-- one's judge a user's sends one after the other. Each statement of a
-- volatile function reads the data committed before it began, so the
-- decision, made after the lock is held, sees every send the lock's last
-- holder recorded. It returns the send's earlier decision when there is
-- one, else whether it fits, recorded along with pruning the user's rows
-- older than horizon.
CREATE FUNCTION admit_send(
	p_lock_class int, p_workspace text, p_key text, p_user text, p_channel text,
	p_at timestamptz, p_horizon timestamptz
) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	prior boolean;
	fits boolean;
BEGIN
	PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(p_workspace || '/' || p_user));
	SELECT counted INTO prior FROM frequency_ledger
	WHERE workspace_id = p_workspace AND idempotency_key = p_key;
	IF FOUND THEN
		RETURN prior;
	END IF;
	SELECT NOT EXISTS (
		SELECT 1 FROM frequency_caps c
		WHERE c.workspace_id = p_workspace AND c.channel IN (p_channel, 'any')
		AND c.max_sends <= (
			SELECT count(*) FROM frequency_ledger l
			WHERE l.workspace_id = p_workspace AND l.user_id = p_user AND l.counted
			AND l.at > p_at - make_interval(secs => c.per_seconds)
			AND (c.channel = 'any' OR l.channel = c.channel))) INTO fits;
	DELETE FROM frequency_ledger WHERE workspace_id = p_workspace AND user_id = p_user AND at < p_horizon;
	INSERT INTO frequency_ledger (workspace_id, idempotency_key, user_id, channel, at, counted)
	VALUES (p_workspace, p_key, p_user, p_channel, p_at, fits);
	RETURN fits;
END
$$;
