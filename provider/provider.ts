// The dynamic provider: thin glue between the engine's calls and the modules that do
// the work (validate, diff, ecr, poll, gate, quota).
//
// Pulumi serializes this object by value into state as `__provider`. It therefore holds
// no client and no credentials: clients are built inside the methods, from inputs.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { planDiff } from "./diff";
import { Ecr, EcrTransport, sdkTransport, StartOutcome, TransportFactory } from "./ecr";
import { EcrRequestError, GateFailedError, ScanTimeoutError } from "./errors";
import { evaluateGate, severityRank } from "./gate";
import { ImageRef, shortLabel } from "./image";
import { isTerminalStatus, pollUntilTerminal, retryTransient } from "./poll";
import { estimateAdoptedStart, existingScanBlocks, nextScanAllowedAt, rescanDue } from "./quota";
import { dropUndefined, FindingSummary, ImageScanInputs, ImageScanOutputs, ScanResult } from "./types";
import { validateInputs } from "./validate";

/** Test seams. A provider built with none uses the real clock, sleep and SDK. */
export interface ImageScanProviderOptions {
    now?: () => Date;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    /** Builds the ECR transport; tests stub it for paths moto cannot produce. */
    transport?: TransportFactory;
    /** Progress and warning lines. The engine shows a dynamic provider's stdout. */
    log?: (line: string) => void;
}

/** Right after StartImageScan, ECR may not know the scan yet for a short while. */
const SCAN_NOT_FOUND_GRACE_MS = 60_000;
/** How long diff (preview) retries a transient error resolving a tag. */
const DIFF_RETRY_SECONDS = 60;
/** After the deadline, calls still in flight get this long before they are aborted. */
const DEADLINE_GRACE_MS = 5_000;

/** One create or update: the image, its settings, the ECR wrapper and the deadline. */
interface Operation {
    ecr: Ecr;
    image: ImageRef;
    inputs: ImageScanInputs;
    /** Epoch ms, on the injected clock, by which waiting ends. */
    deadline: number;
    /** Runs an ECR call again after transient errors, until the deadline. */
    persist: <T>(call: () => Promise<T>) => Promise<T>;
}

/** A scan's result plus where it came from. */
interface Collected {
    result: ScanResult;
    scanStartedAt: string;
    adopted: boolean;
}

function noResult(status: string, description?: string): ScanResult {
    return { scanStatus: status, scanStatusDescription: description, scanType: "BASIC", findingSeverityCounts: {}, findings: [] };
}

/** Most severe first, then by name; at most 25. */
export function topFindings(findings: FindingSummary[]): FindingSummary[] {
    return [...findings]
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, 25);
}

/** Only the ImageRef fields of a larger object: errors carry the ref. */
function imageRef({ repositoryName, registryId, region, imageDigest, imageTag, endpoint }: ImageRef): ImageRef {
    return { repositoryName, registryId, region, imageDigest, imageTag, endpoint };
}

/** The full outputs: update must return all of them, or the host drops the rest. */
function outputs(inputs: Omit<ImageScanInputs, "region">, image: ImageRef, c: Collected): ImageScanOutputs {
    const counts = c.result.findingSeverityCounts;
    return dropUndefined({
        repositoryName: inputs.repositoryName,
        registryId: image.registryId ?? "",
        region: image.region,
        imageDigest: image.imageDigest as string,
        imageTag: inputs.imageTag,
        endpoint: inputs.endpoint,
        profile: inputs.profile,
        waitForCompletion: inputs.waitForCompletion,
        timeoutSeconds: inputs.timeoutSeconds,
        rescanAfterHours: inputs.rescanAfterHours,
        failOnSeverity: inputs.failOnSeverity,
        ignoreFindings: inputs.ignoreFindings,
        scanStatus: c.result.scanStatus,
        scanStatusDescription: c.result.scanStatusDescription,
        scanType: c.result.scanType,
        scanStartedAt: c.scanStartedAt,
        nextScanAllowedAt: nextScanAllowedAt(c.scanStartedAt),
        scanCompletedAt: c.result.scanCompletedAt,
        vulnerabilitySourceUpdatedAt: c.result.vulnerabilitySourceUpdatedAt,
        findingSeverityCounts: counts,
        findingsTotal: Object.values(counts).reduce((a, b) => a + b, 0),
        topFindings: topFindings(c.result.findings),
        adoptedExistingScan: c.adopted,
    } satisfies ImageScanOutputs);
}

export class ImageScanProvider implements dynamic.ResourceProvider<ImageScanInputs, ImageScanOutputs> {
    constructor(private readonly options: ImageScanProviderOptions = {}) {}

    // Defaults are resolved per call (sleep and random in poll.ts), so that the serialized
    // object captures no function values, only method bodies.
    private now(): Date {
        return this.options.now?.() ?? new Date();
    }
    private log(line: string): void {
        (this.options.log ?? console.log)(line);
    }
    /** `call`, retried after transient ECR errors until `deadline` (see retryTransient). */
    private persist<T>(deadline: number, call: () => Promise<T>): Promise<T> {
        return retryTransient(call, {
            deadline,
            now: () => this.now().getTime(),
            isTransient: (e) => e instanceof EcrRequestError && e.transient,
            sleep: this.options.sleep,
            random: this.options.random,
        });
    }
    private transport(inputs: Pick<ImageScanInputs, "region" | "endpoint" | "profile">, signal?: AbortSignal): EcrTransport {
        return (this.options.transport ?? sdkTransport)({ region: inputs.region, endpoint: inputs.endpoint, profile: inputs.profile, signal });
    }

    async check(_olds: ImageScanInputs, news: ImageScanInputs): Promise<dynamic.CheckResult<ImageScanInputs>> {
        return validateInputs(news as unknown as Record<string, unknown>);
    }

    async diff(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.DiffResult> {
        const transport = this.transport(news);
        const defaultRegion = news.region === undefined ? await transport.region().catch(() => undefined) : undefined;
        let resolvedDigest: string | null | undefined;
        // Only a tag-only input needs AWS here: one DescribeImages. A pinned digest needs none.
        if (news.imageDigest === undefined && news.imageTag !== undefined && news.repositoryName === olds.repositoryName) {
            const ecr = new Ecr(transport, {
                repositoryName: news.repositoryName,
                registryId: news.registryId ?? olds.registryId,
                region: news.region ?? defaultRegion ?? olds.region,
                imageTag: news.imageTag,
                endpoint: news.endpoint,
            });
            // A plan should not wait as long as a scan may: at most a minute of retries.
            const deadline = this.now().getTime() + Math.min(news.timeoutSeconds, DIFF_RETRY_SECONDS) * 1000;
            const found = await this.persist(deadline, () => ecr.findImage());
            resolvedDigest = found ? found.imageDigest : null;
        }
        const plan = planDiff(olds, news, { now: this.now(), resolvedDigest, defaultRegion });
        if (plan.replaces.length > 0 || plan.rescan) {
            // The engine shows only "replace"/"update"; say why a scan is planned.
            this.log(`${shortLabel({ ...olds, imageTag: news.imageTag })}: ${plan.reasons.join("; ")}`);
        }
        // Always explicit: left undefined, the engine would diff every property itself.
        return { changes: plan.changes, replaces: plan.replaces, deleteBeforeReplace: false };
    }

    async create(inputs: ImageScanInputs): Promise<dynamic.CreateResult<ImageScanOutputs>> {
        const outs = await this.run(inputs);
        return { id: `${outs.registryId}/${outs.repositoryName}@${outs.imageDigest}`, outs };
    }

    async update(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.UpdateResult<ImageScanOutputs>> {
        return { outs: await this.run(news, olds) };
    }

    /**
     * One create (no olds) or update, within timeoutSeconds, then the gate. The poll loop
     * stops at the deadline on the (injectable) clock; a real timer a little later aborts
     * any ECR call still hanging, so that nothing outlives timeoutSeconds by more than that.
     */
    private async run(inputs: ImageScanInputs, olds?: ImageScanOutputs): Promise<ImageScanOutputs> {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), inputs.timeoutSeconds * 1000 + DEADLINE_GRACE_MS);
        try {
            const deadline = this.now().getTime() + inputs.timeoutSeconds * 1000;
            const persist = <T>(call: () => Promise<T>) => this.persist(deadline, call);
            const transport = this.transport(inputs, controller.signal);
            let image: ImageRef;
            let collected: Collected | undefined;
            if (olds) {
                image = imageRef({ ...inputs, region: olds.region, registryId: olds.registryId, imageDigest: olds.imageDigest });
            } else {
                // The region the calls go to: the input, else the SDK chain. Fails clearly if none.
                const region =
                    inputs.region ||
                    (await transport.region().catch((e: Error) => {
                        throw new EcrRequestError("region lookup", imageRef({ ...inputs, region: "no region" }), {
                            cause: new Error(`no AWS region: set the region input, \`pulumi config set aws:region <region>\`, or AWS_REGION (${e.message})`),
                        });
                    }));
                image = imageRef({ ...inputs, region });
                const ecr = new Ecr(transport, image);
                const found = await persist(() => ecr.resolveImage());
                image = { ...image, imageDigest: inputs.imageDigest ?? found.imageDigest, registryId: found.registryId || image.registryId };
            }
            const op: Operation = { ecr: new Ecr(transport, image), image, inputs, deadline, persist };
            if (olds && !rescanDue(olds.scanStartedAt, inputs.rescanAfterHours, this.now())) {
                // No new scan: re-read the one we have, waiting if it was still running.
                const result = await this.collect(op, this.now().getTime(), olds.scanStatus);
                collected = result && { result, scanStartedAt: olds.scanStartedAt, adopted: olds.adoptedExistingScan };
            }
            collected ??= await this.scanOrAdopt(op, !olds);

            const outs = outputs(inputs, image, collected);
            if (inputs.failOnSeverity !== undefined) {
                const verdict = evaluateGate(image, collected.result, inputs.failOnSeverity, inputs.ignoreFindings, this.now());
                for (const w of verdict.warnings) {
                    this.log(`warning: ${w}`);
                }
                if (!verdict.passed) {
                    throw new GateFailedError(image, verdict.message as string);
                }
            }
            return outs;
        } finally {
            clearTimeout(timer);
        }
    }

    async read(id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
        if (!props?.imageDigest) {
            return { id, props };
        }
        const image = imageRef(props);
        const ecr = new Ecr(this.transport(props), image);
        // An image or repository that is gone drops the resource from state.
        if (!(await ecr.findImage())) {
            return {};
        }
        const result = await ecr.readScan(props.imageDigest);
        if (!result) {
            return { id, props };
        }
        return { id, props: outputs(props, image, { result, scanStartedAt: props.scanStartedAt, adopted: props.adoptedExistingScan }) };
    }

    /** A scan cannot be deleted: deleting the resource only forgets it. No AWS call. */
    async delete(): Promise<void> {}

    /**
     * Starts a scan, or takes the results of one that already counts against the 24 h
     * quota. With checkFirst, a scan ECR already has (scan on push, another resource, a
     * run that timed out) is adopted without calling StartImageScan at all.
     */
    private async scanOrAdopt(op: Operation, checkFirst: boolean): Promise<Collected> {
        const digest = op.image.imageDigest as string;
        const startedAt = this.now();
        const adopt = async (existing: ScanResult | undefined): Promise<Collected> => {
            const result =
                (existing && isTerminalStatus(existing.scanStatus)
                    ? existing
                    : await this.collect(op, this.now().getTime(), existing?.scanStatus ?? "PENDING")) ?? noResult("PENDING");
            return { result, scanStartedAt: estimateAdoptedStart(result.scanCompletedAt, this.now()), adopted: true };
        };
        if (checkFirst) {
            const existing = await op.persist(() => op.ecr.readScan(digest));
            if (existing && existingScanBlocks(existing.scanCompletedAt, !isTerminalStatus(existing.scanStatus), startedAt)) {
                return adopt(existing);
            }
        }

        const outcome: StartOutcome = await op.persist(() => op.ecr.startScan(digest));
        if (outcome.kind === "quota") {
            return adopt(await op.persist(() => op.ecr.readScan(digest)));
        }
        if (outcome.kind === "enhanced") {
            // Continuous scanning: ECR's own status and findings are the result.
            const result = (await this.collect(op, startedAt.getTime(), "PENDING")) ?? noResult("PENDING");
            result.scanType = "ENHANCED";
            return { result, scanStartedAt: estimateAdoptedStart(result.scanCompletedAt, this.now()), adopted: false };
        }
        const result =
            outcome.kind === "started"
                ? ((await this.collect(op, startedAt.getTime(), outcome.status)) ?? noResult(outcome.status, outcome.description))
                : noResult("UNSUPPORTED_IMAGE", outcome.description);
        return { result, scanStartedAt: startedAt.toISOString(), adopted: false };
    }

    /**
     * Reads the scan, and if waitForCompletion polls until a terminal status or the
     * operation's deadline. Returns undefined when ECR has no scan and we are not
     * waiting. `since` is when the scan was started or found, for the
     * ScanNotFoundException grace.
     */
    private async collect(op: Operation, since: number, lastKnownStatus: string): Promise<ScanResult | undefined> {
        const digest = op.image.imageDigest as string;
        if (!op.inputs.waitForCompletion) {
            return op.ecr.readScan(digest);
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
                    if (this.now().getTime() - since > SCAN_NOT_FOUND_GRACE_MS) {
                        throw new EcrRequestError("DescribeImageScanFindings", op.image, {
                            cause: new Error(`ScanNotFoundException for more than ${SCAN_NOT_FOUND_GRACE_MS / 1000} s after the scan started`),
                        });
                    }
                    return { terminal: false, status: lastKnownStatus };
                }
                lastKnownStatus = result.scanStatus;
                return { terminal: isTerminalStatus(lastKnownStatus), status: lastKnownStatus, value: result };
            },
            timeoutMs: op.deadline - this.now().getTime(),
            now: () => this.now().getTime(),
            sleep: this.options.sleep,
            random: this.options.random,
            progress: (line) => this.log(line),
            label: shortLabel(op.image),
        });
        if (outcome.kind === "timeout") {
            throw new ScanTimeoutError(op.image, outcome.status, Math.round(outcome.waitedMs / 1000), { cause: lastError });
        }
        return outcome.value;
    }
}
