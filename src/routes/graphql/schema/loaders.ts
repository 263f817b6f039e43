// Batch loading: the receivers a response refers to are read in one query per tick of execution,
// however many events or groups name them (a page of 100 events: one query for their receivers).
import DataLoader from "dataloader";
import type { ServiceContext } from "../../../domain/context";
import { type ReceiverRow, receiversByIds } from "../../../domain/receivers";
import { ApiError } from "../../../lib/errors";

export type ReceiverLoader = DataLoader<string, ReceiverRow>;

export function receiverLoader(ctx: ServiceContext): ReceiverLoader {
  return new DataLoader<string, ReceiverRow>(async (ids) => {
    const found = new Map((await receiversByIds(ctx, [...ids])).map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? new ApiError(404, "NOT_FOUND", "No such event receiver."));
  });
}
