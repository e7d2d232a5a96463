// create and update: find the image (for an index, its platform images), scan each (or
// adopt, or re-read), apply the gate, and return every output. All within timeoutSeconds.

import { Context } from "./context";
import { Ecr, EcrTransport } from "./ecr";
import { EcrRequestError, EmptyIndexError, GateFailedError, PlatformNotFoundError } from "./errors";
import { evaluateGate, isCompletedScan } from "./gate";
import { ImageRef } from "./image";
import { combine, outputs, recordedResult, Scanned } from "./outputs";
import { INDEX_MEDIA_TYPES, isIndex, platformImages, samePlatforms, selectPlatforms } from "./platforms";
import { rescanDue } from "./quota";
import { Operation, reread, rescan, scanOrAdopt } from "./scan";
import { ImageEntry, ImageScanInputs, ImageScanOutputs } from "./types";

/** After the deadline, calls still in flight get this long before they are aborted. */
export const DEADLINE_GRACE_MS = 5_000;

/** Only the ImageRef fields of a larger object: errors carry the ref. */
export function imageRef({ repositoryName, registryId, region, imageDigest, imageTag, endpoint }: ImageRef): ImageRef {
    return { repositoryName, registryId, region, imageDigest, imageTag, endpoint };
}

/** An image to scan: the image itself, or a platform image of an index; and what state had of it. */
interface Target {
    platform?: string;
    imageDigest: string;
    previous?: ImageEntry;
}

/** One create or update's shared parts. */
interface Run {
    ctx: Context;
    transport: EcrTransport;
    inputs: ImageScanInputs;
    deadline: number;
}

/**
 * One create (no olds) or update. The poll loop stops at the deadline on the
 * (injectable) clock; a real timer a little later aborts any ECR call still hanging, so
 * that nothing outlives timeoutSeconds by more than that.
 */
export async function apply(ctx: Context, inputs: ImageScanInputs, olds?: ImageScanOutputs): Promise<ImageScanOutputs> {
    const controller = new AbortController();
    const cancel = ctx.timer(inputs.timeoutSeconds * 1000 + DEADLINE_GRACE_MS, () => controller.abort());
    try {
        const run: Run = {
            ctx,
            inputs,
            deadline: ctx.now().getTime() + inputs.timeoutSeconds * 1000,
            transport: ctx.transport({ region: inputs.region, endpoint: inputs.endpoint, profile: inputs.profile, signal: controller.signal }),
        };
        const { image, targets } = olds ? await updateTargets(run, olds) : await createTargets(run);
        // Every platform image its own lifecycle, in parallel. The first to fail ends the
        // operation at once (nothing is stored, and the next up adopts any scan that
        // started): its error is the one reported, and the calls of the others are
        // aborted rather than left to wait out timeoutSeconds.
        const scans = await Promise.all(
            targets.map((t) =>
                scanTarget(run, image, t, olds).catch((e: unknown) => {
                    controller.abort();
                    throw e;
                }),
            ),
        );

        const unfinished = scans.find((x) => !isCompletedScan(x.collected.result.scanStatus));
        const verdict = evaluateGate(image, combine(scans).result, inputs.failOnSeverity, inputs.ignoreFindings, ctx.now(), unfinished);
        if (inputs.failOnSeverity !== undefined) {
            for (const w of verdict.warnings) {
                ctx.log(`warning: ${w}`);
            }
            if (!verdict.passed) {
                throw new GateFailedError(image, verdict.message as string);
            }
        }
        return outputs(inputs, image, scans, verdict.ignored);
    } finally {
        cancel();
    }
}

/** create: resolve the tag (and the region), and for an index, its platform images. */
async function createTargets(run: Run): Promise<{ image: ImageRef; targets: Target[] }> {
    const { ctx, inputs, transport } = run;
    // The region the calls go to: the input, else the SDK chain. Fails clearly if none.
    const region =
        inputs.region ||
        (await transport.region().catch((e: Error) => {
            throw new EcrRequestError("region lookup", imageRef({ ...inputs, region: "no region" }), {
                cause: new Error(`Region is missing: ${e.message}`),
            });
        }));
    let image = imageRef({ ...inputs, region });
    const found = await ctx.persist(run.deadline, () => new Ecr(transport, image, inputs.profile).resolveImage());
    image = { ...image, imageDigest: inputs.imageDigest ?? found.imageDigest, registryId: found.registryId || image.registryId };
    if (!isIndex(found.mediaType)) {
        return { image, targets: [{ imageDigest: image.imageDigest as string }] };
    }
    return { image, targets: await platformTargets(run, image) };
}

/**
 * update: the images state recorded; the index read again only if `platforms` changed.
 * State written before `images` existed (ImageScan 0.1) recorded an image index as one
 * UNSUPPORTED_IMAGE image: its media type is looked up, and its platform images scanned.
 */
async function updateTargets(run: Run, olds: ImageScanOutputs): Promise<{ image: ImageRef; targets: Target[] }> {
    const image = imageRef({ ...run.inputs, region: olds.region, registryId: olds.registryId, imageDigest: olds.imageDigest });
    if (olds.images === undefined && olds.scanStatus === "UNSUPPORTED_IMAGE") {
        const found = await run.ctx.persist(run.deadline, () => new Ecr(run.transport, image, run.inputs.profile).resolveImage());
        if (isIndex(found.mediaType)) {
            return { image, targets: await platformTargets(run, image) };
        }
    }
    const recorded: ImageEntry[] = olds.images ?? [{ ...olds, imageDigest: olds.imageDigest }];
    const wasIndex = recorded.some((i) => i.platform !== undefined);
    if (!wasIndex || samePlatforms(olds.platforms, run.inputs.platforms)) {
        return { image, targets: recorded.map((previous) => ({ platform: previous.platform, imageDigest: previous.imageDigest, previous })) };
    }
    const targets = await platformTargets(run, image);
    return { image, targets: targets.map((t) => ({ ...t, previous: recorded.find((r) => r.imageDigest === t.imageDigest) })) };
}

/** The platform images of the index `image` names, narrowed by `platforms`. */
async function platformTargets(run: Run, image: ImageRef): Promise<Target[]> {
    const ecr = new Ecr(run.transport, image, run.inputs.profile);
    const manifest = await run.ctx.persist(run.deadline, () => ecr.readManifest(image.imageDigest as string, INDEX_MEDIA_TYPES));
    const all = platformImages(manifest);
    if (all.length === 0) {
        throw new EmptyIndexError(image, (JSON.parse(manifest) as { manifests?: unknown[] }).manifests?.length ?? 0);
    }
    const picked = selectPlatforms(all, run.inputs.platforms);
    if ("missing" in picked) {
        throw new PlatformNotFoundError(image, picked.missing, all.map((i) => i.platform));
    }
    return picked.images.map((i) => ({ platform: i.platform, imageDigest: i.imageDigest }));
}

/** One image's lifecycle: a new scan or adoption, a due rescan, or a re-read. */
async function scanTarget(run: Run, index: ImageRef, target: Target, olds: ImageScanOutputs | undefined): Promise<Scanned> {
    const image = { ...index, imageDigest: target.imageDigest, platform: target.platform };
    const op: Operation = { ctx: run.ctx, ecr: new Ecr(run.transport, image, run.inputs.profile), image, waitForCompletion: run.inputs.waitForCompletion, deadline: run.deadline };
    const previous = target.previous;
    let collected;
    if (!previous || !olds) {
        collected = await scanOrAdopt(op, true);
    } else {
        const record = { ...previous, scanType: olds.scanType };
        collected = rescanDue(previous.scanStartedAt, run.inputs.rescanAfterHours, run.ctx.now())
            ? await rescan(op, record)
            : await reread(op, record, recordedResult(olds, olds.images ? previous : undefined));
    }
    return { platform: target.platform, imageDigest: target.imageDigest, collected };
}
