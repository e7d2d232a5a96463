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
import { isTerminalStatus, pollUntilTerminal } from "./poll";
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
const TOP_FINDINGS = 25;

/** One create or update: the image, its settings, the ECR wrapper and the deadline. */
interface Operation {
    ecr: Ecr;
    image: ImageRef;
    inputs: ImageScanInputs;
    /** Epoch ms, on the injected clock, by which waiting ends. */
    deadline: number;
}

/** After the deadline, calls still in flight get this long before they are aborted. */
const DEADLINE_GRACE_MS = 5_000;

/** A scan's result plus where it came from. */
interface Collected {
    result: ScanResult;
    scanStartedAt: string;
    adopted: boolean;
}

function noResult(status: string, description?: string): ScanResult {
    return {
        scanStatus: status,
        scanStatusDescription: description,
        scanType: "BASIC",
        findingSeverityCounts: {},
        findings: [],
    };
}

/** Most severe first, then by name; at most 25. */
export function topFindings(findings: FindingSummary[]): FindingSummary[] {
    return [...findings]
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, TOP_FINDINGS);
}

export class ImageScanProvider implements dynamic.ResourceProvider<ImageScanInputs, ImageScanOutputs> {
    constructor(private readonly options: ImageScanProviderOptions = {}) {}

    // Defaults are resolved per call so that the serialized object captures no
    // function values, only these method bodies.
    private now(): Date {
        return this.options.now ? this.options.now() : new Date();
    }
    private sleep(ms: number): Promise<void> {
        return this.options.sleep ? this.options.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
    }
    private random(): number {
        return this.options.random ? this.options.random() : Math.random();
    }
    private log(line: string): void {
        if (this.options.log) {
            this.options.log(line);
        } else {
            console.log(line);
        }
    }
    private transport(inputs: Pick<ImageScanInputs, "region" | "endpoint" | "profile"> & { signal?: AbortSignal }): EcrTransport {
        const target = { region: inputs.region, endpoint: inputs.endpoint, profile: inputs.profile, signal: inputs.signal };
        return this.options.transport ? this.options.transport(target) : sdkTransport(target);
    }

    /** The region the call goes to: the input, else the SDK chain. Fails clearly if none. */
    private async region(inputs: ImageScanInputs, transport: EcrTransport): Promise<string> {
        if (inputs.region) {
            return inputs.region;
        }
        try {
            return await transport.region();
        } catch (e) {
            throw new EcrRequestError(
                "region lookup",
                { repositoryName: inputs.repositoryName, imageDigest: inputs.imageDigest, imageTag: inputs.imageTag, region: "no region" },
                { cause: new Error(`no AWS region: set the region input, \`pulumi config set aws:region <region>\`, or AWS_REGION (${(e as Error).message})`) },
            );
        }
    }

    async check(_olds: ImageScanInputs, news: ImageScanInputs): Promise<dynamic.CheckResult<ImageScanInputs>> {
        return validateInputs(news as unknown as Record<string, unknown>);
    }

    async diff(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.DiffResult> {
        const transport = this.transport(news);
        let defaultRegion: string | undefined;
        if (news.region === undefined) {
            defaultRegion = await transport.region().catch(() => undefined);
        }
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
            const found = await ecr.findImage();
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
        return this.withDeadline(inputs.timeoutSeconds, async (signal, deadline) => {
            const transport = this.transport({ ...inputs, signal });
            const region = await this.region(inputs, transport);
            const ref: ImageRef = { ...pick(inputs), region };
            const image = await new Ecr(transport, ref).resolveImage();
            const scanned: ImageRef = {
                ...ref,
                imageDigest: inputs.imageDigest ?? image.imageDigest,
                registryId: image.registryId || ref.registryId,
            };
            const op: Operation = { ecr: new Ecr(transport, scanned), image: scanned, inputs, deadline };
            const collected = await this.scanOrAdopt(op, true);

            const outs = this.outputs(inputs, scanned, collected);
            this.gate(scanned, inputs, collected.result);
            return { id: `${outs.registryId}/${outs.repositoryName}@${outs.imageDigest}`, outs };
        });
    }

    async update(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.UpdateResult<ImageScanOutputs>> {
        return this.withDeadline(news.timeoutSeconds, async (signal, deadline) => {
            const scanned: ImageRef = { ...pick(news), region: olds.region, registryId: olds.registryId, imageDigest: olds.imageDigest };
            const op: Operation = { ecr: new Ecr(this.transport({ ...news, signal }), scanned), image: scanned, inputs: news, deadline };

            let collected: Collected;
            if (rescanDue(olds.scanStartedAt, news.rescanAfterHours, this.now())) {
                collected = await this.scanOrAdopt(op, false);
            } else {
                // No new scan: re-read the one we have, waiting if it was still running.
                const result = await this.collect(op, this.now().getTime(), olds.scanStatus);
                collected = result
                    ? { result, scanStartedAt: olds.scanStartedAt, adopted: olds.adoptedExistingScan }
                    : await this.scanOrAdopt(op, false);
            }
            const outs = this.outputs(news, scanned, collected);
            this.gate(scanned, news, collected.result);
            return { outs };
        });
    }

    /**
     * Runs one create or update within timeoutSeconds. The poll loop stops at the
     * deadline on the (injectable) clock; a real timer a little later aborts any ECR
     * call still hanging, so that nothing outlives timeoutSeconds by more than that.
     */
    private async withDeadline<T>(timeoutSeconds: number, run: (signal: AbortSignal, deadline: number) => Promise<T>): Promise<T> {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000 + DEADLINE_GRACE_MS);
        try {
            return await run(controller.signal, this.now().getTime() + timeoutSeconds * 1000);
        } finally {
            clearTimeout(timer);
        }
    }

    async read(id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
        if (!props?.imageDigest) {
            return { id, props };
        }
        const scanned: ImageRef = { ...pick(props), region: props.region, registryId: props.registryId, imageDigest: props.imageDigest };
        const ecr = new Ecr(this.transport(props), scanned);
        // An image or repository that is gone drops the resource from state.
        if (!(await ecr.findImage())) {
            return {};
        }
        const result = await ecr.readScan(props.imageDigest);
        if (!result) {
            return { id, props };
        }
        const outs = this.outputs(props, scanned, {
            result,
            scanStartedAt: props.scanStartedAt,
            adopted: props.adoptedExistingScan,
        });
        return { id, props: outs };
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
        if (checkFirst) {
            const existing = await op.ecr.readScan(digest);
            if (existing && existingScanBlocks(existing.scanCompletedAt, !isTerminalStatus(existing.scanStatus), startedAt)) {
                return this.adopt(op, existing);
            }
        }

        const outcome: StartOutcome = await op.ecr.startScan(digest);
        switch (outcome.kind) {
            case "started": {
                const result =
                    (await this.collect(op, startedAt.getTime(), outcome.status)) ?? noResult(outcome.status, outcome.description);
                return { result, scanStartedAt: startedAt.toISOString(), adopted: false };
            }
            case "quota":
                return this.adopt(op, await op.ecr.readScan(digest));
            case "enhanced": {
                // Continuous scanning: ECR's own status and findings are the result.
                const result = (await this.collect(op, startedAt.getTime(), "PENDING")) ?? noResult("PENDING");
                result.scanType = "ENHANCED";
                return { result, scanStartedAt: estimateAdoptedStart(result.scanCompletedAt, this.now()), adopted: false };
            }
            case "unsupported":
                return { result: noResult("UNSUPPORTED_IMAGE", outcome.description), scanStartedAt: startedAt.toISOString(), adopted: false };
        }
    }

    private async adopt(op: Operation, existing: ScanResult | undefined): Promise<Collected> {
        let result = existing;
        if (!existing || !isTerminalStatus(existing.scanStatus)) {
            result = await this.collect(op, this.now().getTime(), existing?.scanStatus ?? "PENDING");
        }
        const final = result ?? noResult("PENDING");
        return { result: final, scanStartedAt: estimateAdoptedStart(final.scanCompletedAt, this.now()), adopted: true };
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
                return { terminal: isTerminalStatus(result.scanStatus), status: result.scanStatus, value: result };
            },
            timeoutMs: op.deadline - this.now().getTime(),
            now: () => this.now().getTime(),
            sleep: (ms) => this.sleep(ms),
            random: () => this.random(),
            progress: (line) => this.log(line),
            label: shortLabel(op.image),
        });
        if (outcome.kind === "timeout") {
            throw new ScanTimeoutError(op.image, outcome.status, Math.round(outcome.waitedMs / 1000), { cause: lastError });
        }
        return outcome.value;
    }

    /** Prints expired-ignore warnings; throws GateFailedError when the gate fails. */
    private gate(image: ImageRef, inputs: ImageScanInputs, result: ScanResult): void {
        if (inputs.failOnSeverity === undefined) {
            return;
        }
        const verdict = evaluateGate(image, result, inputs.failOnSeverity, inputs.ignoreFindings, this.now());
        for (const w of verdict.warnings) {
            this.log(`warning: ${w}`);
        }
        if (!verdict.passed) {
            throw new GateFailedError(image, verdict.message as string);
        }
    }

    private outputs(inputs: Omit<ImageScanInputs, "region">, image: ImageRef, c: Collected): ImageScanOutputs {
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
}

function pick(i: Pick<ImageScanInputs, "repositoryName" | "registryId" | "imageDigest" | "imageTag" | "endpoint">) {
    return {
        repositoryName: i.repositoryName,
        registryId: i.registryId,
        imageDigest: i.imageDigest,
        imageTag: i.imageTag,
        endpoint: i.endpoint,
    };
}
