// One image's scan within the 24 h quota: start one, or adopt the one that counts
// against the window, or re-read the one we have; and wait for a terminal status.

import { Context } from "./context";
import { Ecr, noScan } from "./ecr";
import { EcrRequestError, ScanTimeoutError } from "./errors";
import { ImageRef, shortLabel } from "./image";
import { Collected, recordedResult } from "./outputs";
import { isTerminalStatus, pollUntilTerminal } from "./poll";
import { estimateAdoptedStart, existingScanBlocks } from "./quota";
import { ImageScanOutputs, ScanResult } from "./types";

/** Right after StartImageScan, ECR may not know the scan yet for a short while. */
export const SCAN_NOT_FOUND_GRACE_MS = 60_000;
/**
 * A terminal result that completed this long before our StartImageScan was answered
 * belongs to an earlier scan (ECR may show it until the new one registers). The margin
 * allows for skew between our clock and ECR's.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** One image of one create or update: where, with which settings, and until when. */
export interface Operation {
    ctx: Context;
    ecr: Ecr;
    /** Has the digest set. */
    image: ImageRef;
    waitForCompletion: boolean;
    /** Epoch ms, on the injected clock, by which waiting ends. */
    deadline: number;
}

function digestOf(op: Operation): string {
    return op.image.imageDigest as string;
}

/** `call`, tried again after transient ECR errors until the operation's deadline. */
function persist<T>(op: Operation, call: () => Promise<T>): Promise<T> {
    return op.ctx.persist(op.deadline, call);
}

/**
 * Starts a scan, or takes the results of one that already counts against the 24 h
 * quota. With checkFirst, a scan ECR already has (scan on push, another resource, a run
 * that timed out) is adopted without calling StartImageScan at all.
 */
export async function scanOrAdopt(op: Operation, checkFirst: boolean): Promise<Collected> {
    const { ctx } = op;
    const digest = digestOf(op);
    if (checkFirst) {
        // Only the status and times matter here: one page, not the whole listing.
        const existing = await persist(op, () => op.ecr.readScan(digest, { firstPageOnly: true }));
        if (existing?.scanType === "ENHANCED") {
            return enhanced(op, existing);
        }
        if (existing?.scanStatus === "IMAGE_ARCHIVED") {
            // ECR scans no archived image: a StartImageScan would only be refused.
            return { result: existing, scanStartedAt: ctx.now().toISOString(), adopted: false };
        }
        if (existing && existingScanBlocks(existing.scanCompletedAt, !isTerminalStatus(existing.scanStatus), ctx.now())) {
            return adopt(op, existing);
        }
    }

    const outcome = await persist(op, () => op.ecr.startScan(digest));
    switch (outcome.kind) {
        case "quota":
            return adopt(op, await persist(op, () => op.ecr.readScan(digest)));
        case "enhanced":
            return enhanced(op, undefined);
        case "unsupported":
            return { result: noScan("UNSUPPORTED_IMAGE", outcome.description), scanStartedAt: ctx.now().toISOString(), adopted: false };
        case "archived":
            return { result: noScan("IMAGE_ARCHIVED", outcome.description), scanStartedAt: ctx.now().toISOString(), adopted: false };
        case "started": {
            // Taken once ECR has answered, after the lookup and any retried start: the
            // scan began no later than this, so nextScanAllowedAt never comes too early.
            const startedAt = ctx.now();
            const result =
                (await collect(op, { since: startedAt.getTime(), lastKnownStatus: outcome.status, startedAt: startedAt.getTime() })) ??
                noScan(outcome.status, outcome.description);
            return { result, scanStartedAt: startedAt.toISOString(), adopted: false };
        }
    }
}

/**
 * A rescan that rescanAfterHours made due. Enhanced scanning is continuous, and ECR
 * would refuse the StartImageScan: re-read its findings instead.
 */
export async function rescan(op: Operation, olds: ImageScanOutputs): Promise<Collected> {
    if (olds.scanType === "ENHANCED") {
        const current = await persist(op, () => op.ecr.readScan(digestOf(op)));
        if (current?.scanType === "ENHANCED") {
            return enhanced(op, current);
        }
    }
    return scanOrAdopt(op, false);
}

/** The results of a scan that already counts against the window. */
async function adopt(op: Operation, existing: (ScanResult & { complete: boolean }) | undefined): Promise<Collected> {
    const { ctx } = op;
    let result: ScanResult | undefined;
    if (existing && isTerminalStatus(existing.scanStatus)) {
        result = existing.complete ? existing : await persist(op, () => op.ecr.readScan(digestOf(op)));
    }
    result ??= (await collect(op, { since: ctx.now().getTime(), lastKnownStatus: existing?.scanStatus ?? "PENDING" })) ?? noScan("PENDING");
    // Its start is unknown: its completion, or now if it still runs. Both err late.
    return { result, scanStartedAt: estimateAdoptedStart(result.scanCompletedAt, ctx.now()), adopted: true };
}

/**
 * Enhanced (Inspector) scanning is continuous and ECR refuses manual scans: its status
 * and findings are the result. No quota window applies, so the start is the time the
 * findings were read; a rescan that is due re-reads them and moves it on.
 */
async function enhanced(op: Operation, existing: (ScanResult & { complete: boolean }) | undefined): Promise<Collected> {
    const { ctx } = op;
    let result: ScanResult | undefined;
    if (existing && isTerminalStatus(existing.scanStatus)) {
        result = existing.complete ? existing : await persist(op, () => op.ecr.readScan(digestOf(op)));
    }
    result ??= (await collect(op, { since: ctx.now().getTime(), lastKnownStatus: existing?.scanStatus ?? "PENDING" })) ?? noScan("PENDING");
    return { result: { ...result, scanType: "ENHANCED" }, scanStartedAt: ctx.now().toISOString(), adopted: false };
}

/**
 * Re-reads the scan an update already has, without starting one; waits if it was still
 * running. An image ECR keeps no scan record for (UNSUPPORTED_IMAGE, say) keeps what was
 * recorded, and is not waited for.
 */
export async function reread(op: Operation, olds: ImageScanOutputs): Promise<Collected> {
    const { ctx } = op;
    const keep = (result: ScanResult): Collected => ({ result, scanStartedAt: olds.scanStartedAt, adopted: olds.adoptedExistingScan });
    const current = await persist(op, () => op.ecr.readScan(digestOf(op)));
    if (current && (isTerminalStatus(current.scanStatus) || !op.waitForCompletion)) {
        return keep(current);
    }
    if (!current && isTerminalStatus(olds.scanStatus)) {
        return keep(recordedResult(olds));
    }
    const waited = await collect(op, { since: ctx.now().getTime(), lastKnownStatus: current?.scanStatus ?? olds.scanStatus });
    return keep(waited ?? recordedResult(olds));
}

interface CollectOptions {
    /** When the scan was started or found: the ScanNotFoundException grace runs from here. */
    since: number;
    lastKnownStatus: string;
    /** Set after a StartImageScan that ECR accepted: older terminal results are stale. */
    startedAt?: number;
}

/**
 * Reads the scan, and if waitForCompletion polls until a terminal status or the
 * operation's deadline. Returns undefined when ECR has no (current) result and we are
 * not waiting.
 */
async function collect(op: Operation, opts: CollectOptions): Promise<ScanResult | undefined> {
    const { ctx } = op;
    const digest = digestOf(op);
    let lastKnownStatus = opts.lastKnownStatus;
    /** A terminal result of an earlier scan, shown before ECR registers the new one. */
    const stale = (r: ScanResult) =>
        opts.startedAt !== undefined &&
        isTerminalStatus(r.scanStatus) &&
        r.scanCompletedAt !== undefined &&
        Date.parse(r.scanCompletedAt) < opts.startedAt - CLOCK_SKEW_MS;
    if (!op.waitForCompletion) {
        const result = await persist(op, () => op.ecr.readScan(digest));
        return result && !stale(result) ? result : undefined;
    }
    let lastError: EcrRequestError | undefined;
    const outcome = await pollUntilTerminal<ScanResult>({
        check: async () => {
            let result: ScanResult | undefined;
            try {
                result = await op.ecr.readScan(digest);
            } catch (e) {
                // The SDK already retried; an ECR blip must not end a long wait.
                if (e instanceof EcrRequestError && e.transient) {
                    lastError = e;
                    return { terminal: false, status: lastKnownStatus };
                }
                throw e;
            }
            if (!result) {
                if (ctx.now().getTime() - opts.since > SCAN_NOT_FOUND_GRACE_MS) {
                    throw new EcrRequestError("DescribeImageScanFindings", op.image, {
                        cause: new Error(`ScanNotFoundException for more than ${SCAN_NOT_FOUND_GRACE_MS / 1000} s after the scan started`),
                    });
                }
                return { terminal: false, status: lastKnownStatus };
            }
            if (stale(result)) {
                return { terminal: false, status: lastKnownStatus };
            }
            lastKnownStatus = result.scanStatus;
            return { terminal: isTerminalStatus(lastKnownStatus), status: lastKnownStatus, value: result };
        },
        timeoutMs: op.deadline - ctx.now().getTime(),
        now: () => ctx.now().getTime(),
        sleep: ctx.sleep,
        random: ctx.random,
        progress: (line) => ctx.log(line),
        label: shortLabel(op.image),
    });
    if (outcome.kind === "timeout") {
        throw new ScanTimeoutError(op.image, outcome.status, Math.round(outcome.waitedMs / 1000), { cause: lastError });
    }
    return outcome.value;
}
