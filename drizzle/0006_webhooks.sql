CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"webhook_id" text NOT NULL,
	"message_id" text NOT NULL,
	"type" text NOT NULL,
	"body" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"lease_owner" text,
	"last_status" integer,
	"last_latency_ms" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"receiver_ids" text[] DEFAULT '{}' NOT NULL,
	"group_ids" text[] DEFAULT '{}' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_until" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_message_idx" ON "webhook_deliveries" USING btree ("webhook_id","message_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("tenant_id","webhook_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhooks_tenant_idx" ON "webhooks" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
-- Webhook fan-out: every outbox message (an event, a completion) queues a delivery for each
-- enabled webhook of its tenant that wants its type and passes its filters (receivers for events,
-- groups for completions), in the transaction that wrote the message: ingest keeps its one round
-- trip. A message requeued from the dead-letter queue queues nothing twice (one delivery per
-- webhook and message). How many were queued is left in a setting of the transaction, which the
-- ingest statement reads (src/domain/events.ts) to send them after the response.
CREATE FUNCTION xzepr_webhook_fanout() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  queued integer;
BEGIN
  INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, message_id, type, body)
  SELECT xzepr_ulid(clock_timestamp()), NEW.tenant_id, w.id, NEW.value->>'id', NEW.value->>'type', NEW.value
    FROM webhooks w
   WHERE w.tenant_id = NEW.tenant_id AND w.enabled
     AND NEW.value->>'type' = ANY (w.event_types)
     AND (NEW.value->>'type' <> 'xzepr.event.created' OR cardinality(w.receiver_ids) = 0
          OR NEW.value->'data'->>'event_receiver_id' = ANY (w.receiver_ids))
     AND (NEW.value->>'type' <> 'xzepr.group.completed' OR cardinality(w.group_ids) = 0
          OR NEW.value->'data'->>'group_id' = ANY (w.group_ids))
  ON CONFLICT (webhook_id, message_id) DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 THEN
    PERFORM set_config('xzepr.webhook_deliveries',
      (coalesce(nullif(current_setting('xzepr.webhook_deliveries', true), ''), '0')::integer + queued)::text, true);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_webhook_fanout AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION xzepr_webhook_fanout();
