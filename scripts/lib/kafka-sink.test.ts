import { afterAll, describe, expect, it } from "vitest";
import { startKafkaSink } from "./kafka-sink";

describe("startKafkaSink", async () => {
  const sink = await startKafkaSink({ port: 0 });
  afterAll(() => sink.close());
  const b64 = (text: string) => Buffer.from(text).toString("base64");

  const v3 = (body: unknown) =>
    fetch(`${sink.url}/v3/clusters/local/topics/xzepr.events/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const record = {
    key: { type: "STRING", data: "t1:r1" },
    value: { type: "JSON", data: { id: "e1" } },
    headers: [{ name: "x-request-id", value: b64("req-1") }],
  };

  it("takes a REST v3 record with key, value and headers, and answers its offset", async () => {
    const response = await v3(record);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error_code: 200, topic_name: "xzepr.events", offset: 0 });
    expect(sink.records.at(-1)).toMatchObject({
      dialect: "v3",
      key: "t1:r1",
      value: { id: "e1" },
      headers: { "x-request-id": "req-1" },
    });
  });

  it("takes a REST Proxy v2 batch", async () => {
    const response = await fetch(`${sink.url}/topics/xzepr.events`, {
      method: "POST",
      headers: { "content-type": "application/vnd.kafka.json.v2+json" },
      body: JSON.stringify({ records: [{ key: "t1:r1", value: { id: "e2" } }] }),
    });
    expect(await response.json()).toMatchObject({ offsets: [{ partition: 0, offset: 1, error_code: null }] });
  });

  it("fails with HTTP 503, or with a per-record error inside HTTP 200, when told to", async () => {
    const before = sink.records.length;
    sink.setMode({ mode: "fail" });
    expect((await v3(record)).status).toBe(503);
    sink.setMode({ mode: "record-error" });
    const response = await v3(record);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { error_code: number }).error_code).not.toBe(200);
    sink.setMode({ mode: "ok" });
    expect(sink.records.length).toBe(before);
  });

  it("takes Upstash Kafka's /produce batch and answers one result per record", async () => {
    const response = await fetch(`${sink.url}/produce`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        {
          topic: "xzepr.events",
          key: "t1:r1",
          value: JSON.stringify({ id: "e3" }),
          headers: [{ key: "a", value: "b" }],
        },
      ]),
    });
    expect(await response.json()).toMatchObject([{ topic: "xzepr.events", partition: 0 }]);
    expect(sink.records.at(-1)).toMatchObject({
      dialect: "upstash",
      key: "t1:r1",
      value: { id: "e3" },
      headers: { a: "b" },
    });
  });

  it("fails only the keys with the given prefix, and lists records by key prefix", async () => {
    sink.setMode({ mode: "fail", keyPrefix: "broken:" });
    expect((await v3({ ...record, key: { type: "STRING", data: "broken:r1" } })).status).toBe(503);
    expect((await v3({ ...record, key: { type: "STRING", data: "fine:r1" } })).status).toBe(200);
    sink.setMode({ mode: "ok", keyPrefix: "broken:" });
    expect((await v3({ ...record, key: { type: "STRING", data: "broken:r1" } })).status).toBe(200);
    const listed = (await (await fetch(`${sink.url}/_sink/records?key_prefix=broken:`)).json()) as unknown[];
    expect(listed).toHaveLength(1);
  });
});
