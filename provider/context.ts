// The seams every lifecycle step runs with: clock, sleep, randomness, the ECR transport
// and the log. Tests inject them; a provider built with none gets the real ones here, at
// call time, so that the serialized provider captures no function values.

import { sdkTransport } from "./ecr";
import { EcrRequestError } from "./errors";
import { retryTransient } from "./poll";
import { EcrTarget, EcrTransport, TransportFactory } from "./transport";

/** Test seams. A provider built with none uses the real clock, sleep and SDK. */
export interface ImageScanProviderOptions {
    now?: () => Date;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    /** Builds the ECR transport; tests stub it for paths moto cannot produce. */
    transport?: TransportFactory;
    /** Progress and warning lines. The engine shows a dynamic provider's stdout. */
    log?: (line: string) => void;
    /** Runs `fn` after `ms` of real time; returns a cancel. Defaults to setTimeout. */
    timer?: (ms: number, fn: () => void) => () => void;
}

export interface Context {
    now(): Date;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    log(line: string): void;
    transport(target: EcrTarget): EcrTransport;
    /** `call`, tried again after transient ECR errors until `deadline` (epoch ms). */
    persist<T>(deadline: number, call: () => Promise<T>): Promise<T>;
    /** Runs `fn` after `ms` of real time; returns a cancel. */
    timer(ms: number, fn: () => void): () => void;
}

export function context(options: ImageScanProviderOptions): Context {
    const now = () => options.now?.() ?? new Date();
    return {
        now,
        sleep: options.sleep,
        random: options.random,
        log: (line) => (options.log ?? console.log)(line),
        transport: (target) => (options.transport ?? sdkTransport)(target),
        timer:
            options.timer ??
            ((ms, fn) => {
                const t = setTimeout(fn, ms);
                return () => clearTimeout(t);
            }),
        persist: (deadline, call) =>
            retryTransient(call, {
                deadline,
                now: () => now().getTime(),
                isTransient: (e) => e instanceof EcrRequestError && e.transient,
                sleep: options.sleep,
                random: options.random,
            }),
    };
}
