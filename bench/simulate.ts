// The three poll schedules as models, run many times with random jitter: how long each
// takes to notice a scan that completes T seconds after it started, and how many polls
// it makes. It complements the measured runs (a few per T) with a sweep over T.
// Network time is left out: each poll is an instant.

import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "../provider/poll";
import { mean, median } from "./stats";

export interface ScheduleModel {
    name: string;
    /** True when the first poll comes at once (the waiters); ImageScan sleeps first. */
    pollsAtStart: boolean;
    /** Delay (ms) before poll number `attempt` after the first sleep or poll. */
    delay(attempt: number): number;
}

/** ImageScan's backoff before the benchmark tuned it (commit 2f5707b): doubling from 2 s. */
export const PREVIOUS_BACKOFF: Backoff = { firstDelayMs: 2000, factor: 2, capMs: 30000 };

export function imageScanModel(backoff: Backoff = DEFAULT_BACKOFF, name = "ImageScan"): ScheduleModel {
    return { name, pollsAtStart: false, delay: (attempt) => backoffDelay(attempt, Math.random, backoff) };
}

/**
 * The AWS SDK v3 waiter, as @smithy/core's util-waiter/poller.js implements it: a poll at
 * once, then before attempt a ≥ 1 a delay drawn uniformly from [min, min(max, min·2^(a−1))],
 * and max once a > log2(max/min) + 1.
 */
export function sdkWaiterModel(minDelayS: number, maxDelayS: number): ScheduleModel {
    const [min, max] = [minDelayS * 1000, maxDelayS * 1000];
    const ceilingAttempt = Math.log(max / min) / Math.log(2) + 1;
    return {
        name: "AWS SDK v3 waiter",
        pollsAtStart: true,
        delay: (k) => {
            const attempt = k + 1;
            if (attempt > ceilingAttempt) {
                return max;
            }
            const capped = Math.min(min * 2 ** (attempt - 1), max);
            return min + Math.random() * (capped - min);
        },
    };
}

/** botocore's waiter (AWS CLI v1): a poll at once, then a fixed delay. */
export function cliWaiterModel(delayS: number): ScheduleModel {
    return { name: "AWS CLI waiter", pollsAtStart: true, delay: () => delayS * 1000 };
}

export interface Simulated {
    holdS: number;
    medianDelayS: number;
    meanDelayS: number;
    medianPolls: number;
    meanPolls: number;
}

/** Polls until the first poll at or after T; `trials` times. */
export function simulate(model: ScheduleModel, holdS: number, trials = 4000): Simulated {
    const T = holdS * 1000;
    const delays: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < trials; i++) {
        let t = 0;
        let n = 0;
        if (model.pollsAtStart) {
            n++;
        }
        for (let attempt = 0; !(n > 0 && t >= T); attempt++) {
            t += model.delay(attempt);
            n++;
        }
        delays.push((t - T) / 1000);
        polls.push(n);
    }
    return { holdS, medianDelayS: median(delays), meanDelayS: mean(delays), medianPolls: median(polls), meanPolls: mean(polls) };
}

export interface SweepSummary {
    /** Mean delay (s) per model over every whole T in [fromS, toS]. */
    meanDelayS: number[];
    /** The T values where the first model's median delay is not below the second's. */
    firstNotFaster: number[];
}

/** Every whole T from fromS to toS: mean delays, and where models[0] does not beat models[1]. */
export function sweepSummary(models: ScheduleModel[], fromS: number, toS: number, trials = 1000): SweepSummary {
    const sums = models.map(() => 0);
    const firstNotFaster: number[] = [];
    let count = 0;
    for (let T = fromS; T <= toS; T++) {
        const results = models.map((m) => simulate(m, T, trials));
        results.forEach((x, i) => (sums[i] += x.meanDelayS));
        if (results.length > 1 && results[0].medianDelayS >= results[1].medianDelayS) {
            firstNotFaster.push(T);
        }
        count++;
    }
    return { meanDelayS: sums.map((s) => s / count), firstNotFaster };
}

/** [4, 5, 10, 11, 12] → "4–5, 10–12". */
export function ranges(xs: number[]): string {
    const out: string[] = [];
    for (let i = 0; i < xs.length; i++) {
        let j = i;
        while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) {
            j++;
        }
        out.push(i === j ? `${xs[i]}` : `${xs[i]}–${xs[j]}`);
        i = j;
    }
    return out.join(", ");
}
