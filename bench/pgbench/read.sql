-- GET /api/v1/reports/{id} for an anonymous caller, as the handler runs it
-- on PostgreSQL (captured with log_statement = all; see bench/README.md), for
-- pgbench -M prepared: one statement, the report with its media, timeline and
-- reporter aggregated as JSON. The report is drawn from the same sample
-- bench/run gives wrk (bench_ids); that lookup rides in the statement as a
-- subquery on a 500-row table.
\set n random(1, :ids)
SELECT "reports"."id", "reports"."code", "reports"."reporter_id", "reports"."category_id", "reports"."priority", "reports"."title", "reports"."description", "reports"."lat", "reports"."lng", "reports"."public_lat", "reports"."public_lng", "reports"."address", "reports"."area_code", "reports"."is_anonymous", "reports"."is_public", "reports"."status", "reports"."unit_id", "reports"."assignee_id", "reports"."ack_due_at", "reports"."due_at", "reports"."received_month", "reports"."handled_at", "reports"."handled_month", "reports"."resolved_at", "reports"."closed_at", "reports"."rating", "reports"."rating_comment", "reports"."rated_at", "reports"."duplicate_of", "reports"."follower_count", "reports"."search_text", "reports"."created_at", "reports"."updated_at", "reports"."version", "reports"."client_request_id", "reports"."client_request_hash", (SELECT json_agg(json_build_array(rm.media_id, m.content_type) ORDER BY rm.position)
   FROM report_media rm JOIN media m ON m.id = rm.media_id
  WHERE rm.report_id = "reports"."id") AS "cf_media", (SELECT json_agg(json_build_object(
        'id', e.id, 'actor_id', e.actor_id, 'kind', e.kind,
        'from_status', e.from_status, 'to_status', e.to_status,
        'public_message', e.public_message, 'internal_note', e.internal_note,
        'data', e.data, 'created_at', e.created_at) ORDER BY e.created_at, e.id)
   FROM report_events e WHERE e.report_id = "reports"."id") AS "cf_events", (SELECT json_build_object(
        'id', u.id, 'full_name', u.full_name, 'phone', u.phone, 'email', u.email)
   FROM users u WHERE u.id = "reports"."reporter_id" AND u.deleted_at IS NULL) AS "cf_reporter" FROM "reports" WHERE "reports"."id" = (SELECT id FROM bench_ids WHERE n = :n);
