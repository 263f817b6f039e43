-- Ingest in one round trip: an event, its outbox message and every group completion it causes
-- (with theirs) are written by one function call, in the call's own transaction. The rules are
-- the ones src/domain/events.ts documents; this is where they run.

-- A ULID (time-ordered, Crockford base32) for rows the database creates: 48 bits of the
-- millisecond, 80 random bits taken from gen_random_uuid() (its version and variant bits skipped).
CREATE FUNCTION xzepr_ulid(p_at timestamptz) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  ms bigint := floor(extract(epoch FROM p_at) * 1000)::bigint;
  r bytea := uuid_send(gen_random_uuid());
  hi bigint := (get_byte(r, 0)::bigint << 32) | (get_byte(r, 1)::bigint << 24) | (get_byte(r, 2)::bigint << 16)
               | (get_byte(r, 3)::bigint << 8) | get_byte(r, 4)::bigint;
  lo bigint := (get_byte(r, 10)::bigint << 32) | (get_byte(r, 11)::bigint << 24) | (get_byte(r, 12)::bigint << 16)
               | (get_byte(r, 13)::bigint << 8) | get_byte(r, 14)::bigint;
  result text := '';
BEGIN
  FOR k IN 0..9 LOOP
    result := result || substr(alphabet, ((ms >> (5 * (9 - k))) & 31)::int + 1, 1);
  END LOOP;
  FOR k IN 0..7 LOOP
    result := result || substr(alphabet, ((hi >> (5 * (7 - k))) & 31)::int + 1, 1);
  END LOOP;
  FOR k IN 0..7 LOOP
    result := result || substr(alphabet, ((lo >> (5 * (7 - k))) & 31)::int + 1, 1);
  END LOOP;
  RETURN result;
END $$;
--> statement-breakpoint

-- p_event: the events row (snake_case keys); p_message: its outbox row (id, tenant_id, topic, key,
-- value, headers), whose topic, key and headers the completions' messages share; p_now: the
-- request's time as the API prints it. Returns how many completions were recorded.
-- Raises P0002 when the receiver is not the tenant's (deleted, or another tenant's id).
CREATE FUNCTION xzepr_ingest_event(p_event jsonb, p_message jsonb, p_now text) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  e events%ROWTYPE := jsonb_populate_record(NULL::events, p_event);
  v_group text;
  was_complete boolean;
  members text[];
  latest_count integer;
  latest_green boolean;
  latest_ids text[];
  all_green boolean;
  completion_id text;
  recorded integer := 0;
BEGIN
  -- FOR KEY SHARE: a concurrent delete of the receiver waits for this transaction (and then finds
  -- the event that refers to it).
  PERFORM 1 FROM event_receivers WHERE tenant_id = e.tenant_id AND id = e.event_receiver_id FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'event receiver % not found', e.event_receiver_id USING ERRCODE = 'P0002';
  END IF;

  INSERT INTO events SELECT e.*;
  INSERT INTO outbox (id, tenant_id, topic, key, value, headers)
  VALUES (p_message->>'id', e.tenant_id, p_message->>'topic', p_message->>'key', p_message->'value',
          p_message->'headers');

  -- Every enabled group the receiver belongs to, in one lock order for every transaction, so that
  -- events touching the same groups cannot deadlock.
  FOR v_group IN
    SELECT g.id FROM receiver_groups g
      JOIN group_members m ON m.group_id = g.id
     WHERE g.tenant_id = e.tenant_id AND g.enabled
       AND m.tenant_id = e.tenant_id AND m.event_receiver_id = e.event_receiver_id
     ORDER BY g.id
  LOOP
    -- The (group, key) state row is the lock that serializes concurrent events on the key.
    INSERT INTO group_key_states (tenant_id, group_id, name, version, release, platform_id, package)
    VALUES (e.tenant_id, v_group, e.name, e.version, e.release, e.platform_id, e.package)
    ON CONFLICT DO NOTHING;
    SELECT s.complete INTO was_complete FROM group_key_states s
     WHERE s.group_id = v_group AND s.name = e.name AND s.version = e.version
       AND s.release = e.release AND s.platform_id = e.platform_id AND s.package = e.package
       FOR UPDATE;
    was_complete := coalesce(was_complete, false);

    -- Read after the lock: each statement of a VOLATILE function takes a new snapshot under READ
    -- COMMITTED, so this sees every event committed before the lock was granted.
    SELECT coalesce(array_agg(m.event_receiver_id), '{}') INTO members FROM group_members m
     WHERE m.tenant_id = e.tenant_id AND m.group_id = v_group;
    SELECT count(*), coalesce(bool_and(l.success), false), array_agg(l.id ORDER BY l.id)
      INTO latest_count, latest_green, latest_ids
      FROM (SELECT DISTINCT ON (v.event_receiver_id) v.id, v.success FROM events v
             WHERE v.tenant_id = e.tenant_id AND v.event_receiver_id = ANY (members)
               AND v.name = e.name AND v.version = e.version AND v.release = e.release
               AND v.platform_id = e.platform_id AND v.package = e.package
             ORDER BY v.event_receiver_id, v.id DESC) l;
    all_green := cardinality(members) > 0 AND latest_count = cardinality(members) AND latest_green;

    IF all_green AND NOT was_complete THEN
      completion_id := xzepr_ulid(p_now::timestamptz);
      INSERT INTO group_completions (id, tenant_id, group_id, name, version, release, platform_id, package,
                                     event_ids, created_at)
      VALUES (completion_id, e.tenant_id, v_group, e.name, e.version, e.release, e.platform_id, e.package,
              latest_ids, p_now::timestamptz);
      -- Keyed like the event that caused it (per-receiver ordering); the CloudEvent of API.md.
      INSERT INTO outbox (id, tenant_id, topic, key, value, headers)
      VALUES (xzepr_ulid(p_now::timestamptz), e.tenant_id, p_message->>'topic', p_message->>'key',
              jsonb_build_object(
                'specversion', '1.0',
                'id', completion_id,
                'source', format('xzepr/%s/groups/%s', e.tenant_id, v_group),
                'type', 'xzepr.group.completed',
                'subject', e.name || '@' || e.version,
                'time', p_now,
                'datacontenttype', 'application/json',
                'dataschemaversion', 1,
                'data', jsonb_build_object(
                  'id', completion_id, 'group_id', v_group, 'name', e.name, 'version', e.version,
                  'release', e.release, 'platform_id', e.platform_id, 'package', e.package,
                  'event_ids', to_jsonb(latest_ids), 'created_at', p_now)),
              p_message->'headers');
      recorded := recorded + 1;
    END IF;
    IF all_green IS DISTINCT FROM was_complete THEN
      UPDATE group_key_states s SET complete = all_green
       WHERE s.group_id = v_group AND s.name = e.name AND s.version = e.version
         AND s.release = e.release AND s.platform_id = e.platform_id AND s.package = e.package;
    END IF;
  END LOOP;
  RETURN recorded;
END $$;
