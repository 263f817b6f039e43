CREATE TABLE "event_receivers" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"version" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"schema" jsonb NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"event_receiver_id" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"release" text NOT NULL,
	"platform_id" text NOT NULL,
	"package" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"payload" jsonb NOT NULL,
	"success" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"request_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_completions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"group_id" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"release" text NOT NULL,
	"platform_id" text NOT NULL,
	"package" text NOT NULL,
	"event_ids" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_key_states" (
	"tenant_id" text NOT NULL,
	"group_id" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"release" text NOT NULL,
	"platform_id" text NOT NULL,
	"package" text NOT NULL,
	"complete" boolean DEFAULT false NOT NULL,
	CONSTRAINT "group_key_states_group_id_name_version_release_platform_id_package_pk" PRIMARY KEY("group_id","name","version","release","platform_id","package")
);
--> statement-breakpoint
CREATE TABLE "group_members" (
	"tenant_id" text NOT NULL,
	"group_id" text NOT NULL,
	"event_receiver_id" text NOT NULL,
	CONSTRAINT "group_members_group_id_event_receiver_id_pk" PRIMARY KEY("group_id","event_receiver_id")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"tenant_id" text NOT NULL,
	"principal_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_principal_id_key_pk" PRIMARY KEY("tenant_id","principal_id","key")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"topic" text NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"headers" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "receiver_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"version" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "event_receivers" ADD CONSTRAINT "event_receivers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_event_receiver_id_event_receivers_id_fk" FOREIGN KEY ("event_receiver_id") REFERENCES "public"."event_receivers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_completions" ADD CONSTRAINT "group_completions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_completions" ADD CONSTRAINT "group_completions_group_id_receiver_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."receiver_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_key_states" ADD CONSTRAINT "group_key_states_group_id_receiver_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."receiver_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_receiver_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."receiver_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_event_receiver_id_event_receivers_id_fk" FOREIGN KEY ("event_receiver_id") REFERENCES "public"."event_receivers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receiver_groups" ADD CONSTRAINT "receiver_groups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "event_receivers_identity_key" ON "event_receivers" USING btree ("tenant_id","name","type","version");--> statement-breakpoint
CREATE INDEX "event_receivers_tenant_id_idx" ON "event_receivers" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_tenant_id_idx" ON "events" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_tenant_receiver_idx" ON "events" USING btree ("tenant_id","event_receiver_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_tenant_artifact_idx" ON "events" USING btree ("tenant_id","event_receiver_id","name","version","release","platform_id","package","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_tenant_name_idx" ON "events" USING btree ("tenant_id","name","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "group_completions_group_idx" ON "group_completions" USING btree ("tenant_id","group_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "group_members_receiver_idx" ON "group_members" USING btree ("tenant_id","event_receiver_id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("next_attempt_at") WHERE "outbox"."published_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "receiver_groups_identity_key" ON "receiver_groups" USING btree ("tenant_id","name","type","version");--> statement-breakpoint
CREATE INDEX "receiver_groups_tenant_id_idx" ON "receiver_groups" USING btree ("tenant_id","id" DESC NULLS LAST);