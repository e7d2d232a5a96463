// One image's scan within the 24 h quota: start one, or adopt the one that counts
// against the window, or re-read the one we have; and wait for a terminal status.

import { Context } from "./context";
import { Ecr, noScan } from "./ecr";
import { EcrRequestError, ScanTimeoutError } from "./errors";
import { ImageRef, shortLabel } from "./image";
import { Collected } from "./outputs";
import { isTerminalStatus, pollUntilTerminal } from "./poll";
import { estimateAdoptedStart, existingScanBlocks, QUOTA_WINDOW_MS } from "./quota";
import { ScanResult, ScanType } from "./types";

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
            return take(op, existing, { enhanced: true });
        }
        if (existing?.scanStatus === "IMAGE_ARCHIVED") {
            // ECR scans no archived image: a StartImageScan would only be refused.
            return { result: existing, scanStartedAt: ctx.now().toISOString(), adopted: false };
        }
        if (existing && existingScanBlocks(existing.scanCompletedAt, !isTerminalStatus(existing.scanStatus), ctx.now())) {
            return take(op, existing);
        }
    }

    const outcome = await persist(op, () => op.ecr.startScan(digest));
    switch (outcome.kind) {
        case "quota":
            // A scan holds the window, so it started within 24 h: an older result on
            // show is not it, and is waited past.
            return take(op, await persist(op, () => op.ecr.readScan(digest)), { notBefore: ctx.now().getTime() - QUOTA_WINDOW_MS });
        case "enhanced":
            return take(op, undefined, { enhanced: true });
        case "unsupported":
            return { result: noScan("UNSUPPORTED_IMAGE", outcome.description), scanStartedAt: ctx.now().toISOString(), adopted: false };
        case "archived":
            return { result: noScan("IMAGE_ARCHIVED", outcome.description), scanStartedAt: ctx.now().toISOString(), adopted: false };
        case "started": {
            // Taken once ECR has answered, after the lookup and any retried start: the
            // scan began no later than this, so nextScanAllowedAt never comes too early.
            const startedAt = ctx.now();
            const result =
                (await collect(op, { since: startedAt.getTime(), lastKnownStatus: outcome.status, notBefore: startedAt.getTime() })) ??
                noScan(outcome.status, outcome.description);
            return { result, scanStartedAt: startedAt.toISOString(), adopted: false };
        }
    }
}

/**
 * A rescan that rescanAfterHours made due. Enhanced scanning is continuous, and ECR
 * would refuse the StartImageScan: re-read its findings instead.
 */
export async function rescan(op: Operation, previous: ScanRecord): Promise<Collected> {
    if (previous.scanType === "ENHANCED") {
        const current = await persist(op, () => op.ecr.readScan(digestOf(op)));
        if (current?.scanType === "ENHANCED") {
            return take(op, current, { enhanced: true });
        }
    }
    return scanOrAdopt(op, false);
}

/**
 * The results of a scan ImageScan did not start: `existing` if it is terminal (and not
 * older than `notBefore`), else waited for.
 * - Basic scanning: the scan counts against the 24 h window and is adopted. Its start is
 *   unknown: its completion, or now if it still runs. Both err late.
 * - Enhanced (Inspector) scanning is continuous and has no window: nothing is adopted,
 *   and the start is the time the findings were read, so a due rescan moves it on.
 */
async function take(op: Operation, existing: (ScanResult & { complete: boolean }) | undefined, opts: { enhanced?: boolean; notBefore?: number } = {}): Promise<Collected> {
    const { ctx } = op;
    let result: ScanResult | undefined;
    if (existing && isTerminalStatus(existing.scanStatus) && !stale(existing, opts.notBefore)) {
        result = existing.complete ? existing : await persist(op, () => op.ecr.readScan(digestOf(op)));
    }
    result ??=
        (await collect(op, { since: ctx.now().getTime(), lastKnownStatus: existing?.scanStatus ?? "PENDING", notBefore: opts.notBefore })) ?? noScan("PENDING");
    if (opts.enhanced || result.scanType === "ENHANCED") {
        return { result: { ...result, scanType: "ENHANCED" }, scanStartedAt: ctx.now().toISOString(), adopted: false };
    }
    return { result, scanStartedAt: estimateAdoptedStart(result.scanCompletedAt, ctx.now()), adopted: true };
}

/** What state recorded of an image's last scan: its outputs, or an entry of `images`. */
export interface ScanRecord {
    scanStatus: string;
    scanType?: ScanType;
    scanStartedAt: string;
    scanCompletedAt?: string;
    adoptedExistingScan: boolean;
}

/**
 * The record after reading `result` again. A basic scan that completed after the
 * recorded one is someone else's (another stack, a scan on push): its results come with
 * its start, adopted and estimated late, never with the older start.
 */
export function continued(previous: ScanRecord, result: ScanResult): Collected {
    const newer =
        result.scanType !== "ENHANCED" &&
        previous.scanCompletedAt !== undefined &&
        result.scanCompletedAt !== undefined &&
        Date.parse(result.scanCompletedAt) > Date.parse(previous.scanCompletedAt);
    if (newer && Date.parse(result.scanCompletedAt as string) > Date.parse(previous.scanStartedAt)) {
        return { result, scanStartedAt: result.scanCompletedAt as string, adopted: true };
    }
    return { result, scanStartedAt: previous.scanStartedAt, adopted: previous.adoptedExistingScan };
}

/**
 * Re-reads the scan an update already has, without starting one; waits if it was still
 * running. An image ECR keeps no scan record for (UNSUPPORTED_IMAGE, say) keeps what was
 * recorded, `recorded`, and is not waited for.
 */
export async function reread(op: Operation, previous: ScanRecord, recorded: ScanResult): Promise<Collected> {
    const { ctx } = op;
    const current = await persist(op, () => op.ecr.readScan(digestOf(op)));
    if (current && (isTerminalStatus(current.scanStatus) || !op.waitForCompletion)) {
        return continued(previous, current);
    }
    if (!current && isTerminalStatus(previous.scanStatus)) {
        return continued(previous, recorded);
    }
    const waited = await collect(op, { since: ctx.now().getTime(), lastKnownStatus: current?.scanStatus ?? previous.scanStatus });
    return continued(previous, waited ?? recorded);
}

/** A terminal result completed before `notBefore` (less clock skew): an earlier scan's. */
function stale(r: ScanResult, notBefore: number | undefined): boolean {
    return notBefore !== undefined && isTerminalStatus(r.scanStatus) && r.scanCompletedAt !== undefined && Date.parse(r.scanCompletedAt) < notBefore - CLOCK_SKEW_MS;
}

interface CollectOptions {
    /** When the scan was started or found: the ScanNotFoundException grace runs from here. */
    since: number;
    lastKnownStatus: string;
    /** The scan waited for began no earlier than this: older terminal results are stale. */
    notBefore?: number;
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
    if (!op.waitForCompletion) {
        const result = await persist(op, () => op.ecr.readScan(digest));
        return result && !stale(result, opts.notBefore) ? result : undefined;
    }
    let lastError: EcrRequestError | undefined;
    const outcome = await pollUntilTerminal<ScanResult>({
        check: async () => {
            let result: ScanResult | undefined;
            try {
                result = await op.ecr.readScan(digest);
            } catch (e) {
                // The SDK already retried; an ECR blip must not end a long wait. A poll that
                // the deadline aborted (in flight, or waiting for its turn) is the timeout.
                const aborted = e instanceof EcrRequestError && e.cause instanceof Error && e.cause.name === "AbortError" && ctx.now().getTime() >= op.deadline;
                if (e instanceof EcrRequestError && (e.transient || aborted)) {
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
            // A terminal result of an earlier scan, shown before ECR registers this one.
            if (stale(result, opts.notBefore)) {
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
