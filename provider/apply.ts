// create and update: find the image, scan it (or adopt, or re-read), apply the gate,
// and return every output. All within timeoutSeconds.

import { Context } from "./context";
import { Ecr } from "./ecr";
import { EcrRequestError, GateFailedError } from "./errors";
import { evaluateGate } from "./gate";
import { ImageRef } from "./image";
import { Collected, outputs, recordedResult } from "./outputs";
import { rescanDue } from "./quota";
import { Operation, reread, rescan, scanOrAdopt } from "./scan";
import { ImageScanInputs, ImageScanOutputs } from "./types";

/** After the deadline, calls still in flight get this long before they are aborted. */
export const DEADLINE_GRACE_MS = 5_000;

/** Only the ImageRef fields of a larger object: errors carry the ref. */
export function imageRef({ repositoryName, registryId, region, imageDigest, imageTag, endpoint }: ImageRef): ImageRef {
    return { repositoryName, registryId, region, imageDigest, imageTag, endpoint };
}

/**
 * One create (no olds) or update. The poll loop stops at the deadline on the
 * (injectable) clock; a real timer a little later aborts any ECR call still hanging, so
 * that nothing outlives timeoutSeconds by more than that.
 */
export async function apply(ctx: Context, inputs: ImageScanInputs, olds?: ImageScanOutputs): Promise<ImageScanOutputs> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), inputs.timeoutSeconds * 1000 + DEADLINE_GRACE_MS);
    try {
        const deadline = ctx.now().getTime() + inputs.timeoutSeconds * 1000;
        const transport = ctx.transport({ region: inputs.region, endpoint: inputs.endpoint, profile: inputs.profile, signal: controller.signal });
        let image: ImageRef;
        if (olds) {
            image = imageRef({ ...inputs, region: olds.region, registryId: olds.registryId, imageDigest: olds.imageDigest });
        } else {
            // The region the calls go to: the input, else the SDK chain. Fails clearly if none.
            const region =
                inputs.region ||
                (await transport.region().catch((e: Error) => {
                    throw new EcrRequestError("region lookup", imageRef({ ...inputs, region: "no region" }), {
                        cause: new Error(`Region is missing: ${e.message}`),
                    });
                }));
            image = imageRef({ ...inputs, region });
            const ecr = new Ecr(transport, image, inputs.profile);
            const found = await ctx.persist(deadline, () => ecr.resolveImage());
            image = { ...image, imageDigest: inputs.imageDigest ?? found.imageDigest, registryId: found.registryId || image.registryId };
        }
        const op: Operation = { ctx, ecr: new Ecr(transport, image, inputs.profile), image, waitForCompletion: inputs.waitForCompletion, deadline };
        let collected: Collected;
        if (!olds) {
            collected = await scanOrAdopt(op, true);
        } else if (rescanDue(olds.scanStartedAt, inputs.rescanAfterHours, ctx.now())) {
            collected = await rescan(op, olds);
        } else {
            collected = await reread(op, olds, recordedResult(olds));
        }

        const verdict = evaluateGate(image, collected.result, inputs.failOnSeverity, inputs.ignoreFindings, ctx.now());
        if (inputs.failOnSeverity !== undefined) {
            for (const w of verdict.warnings) {
                ctx.log(`warning: ${w}`);
            }
            if (!verdict.passed) {
                throw new GateFailedError(image, verdict.message as string);
            }
        }
        return outputs(inputs, image, collected, verdict.ignored);
    } finally {
        clearTimeout(timer);
    }
}
