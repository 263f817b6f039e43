import { z } from "@hono/zod-openapi";

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    outbox_id: z.string().openapi({ description: "The outbox message it was (and becomes again on retry)." }),
    topic: z.string(),
    key: z.string(),
    attempts: z.number().int(),
    last_error: z.string(),
    first_failed_at: z.string(),
    last_failed_at: z.string(),
  })
  .openapi("DeadLetter");
