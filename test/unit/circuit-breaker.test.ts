import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/infra/circuit-breaker";

describe("CircuitBreaker", () => {
  it("opens after the threshold of consecutive failures, half-opens after a while, closes on success", () => {
    const breaker = new CircuitBreaker({ threshold: 5, openMs: 30_000 });
    for (let failure = 1; failure <= 4; failure++) {
      expect(breaker.failed(failure)).toBe(false);
      expect(breaker.allows(failure)).toBe(true);
    }
    expect(breaker.failed(5)).toBe(true);
    expect(breaker.state).toBe("open");
    expect(breaker.allows(29_000)).toBe(false);
    expect(breaker.allows(30_010)).toBe(true); // one trial
    expect(breaker.state).toBe("half_open");
    expect(breaker.allows(30_011)).toBe(false); // only one at a time
    expect(breaker.succeeded()).toBe(true);
    expect(breaker.state).toBe("closed");
  });

  it("opens again at once when the half-open trial fails", () => {
    const breaker = new CircuitBreaker({ threshold: 2, openMs: 1_000 });
    breaker.failed(0);
    breaker.failed(0);
    expect(breaker.allows(1_500)).toBe(true);
    expect(breaker.failed(1_500)).toBe(true);
    expect(breaker.allows(2_000)).toBe(false);
    expect(breaker.allows(2_600)).toBe(true);
  });

  it("forgets failures after a success", () => {
    const breaker = new CircuitBreaker({ threshold: 2, openMs: 1_000 });
    breaker.failed(0);
    expect(breaker.succeeded()).toBe(false);
    expect(breaker.failed(0)).toBe(false);
    expect(breaker.state).toBe("closed");
  });
});
