// The diff step: the one AWS call a plan may need (resolving a tag-only input to see
// whether the tag moved), then the pure plan of diff.ts.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { Context } from "./context";
import { planDiff } from "./diff";
import { Ecr } from "./ecr";
import { shortLabel } from "./image";
import { ImageScanInputs, ImageScanOutputs } from "./types";
import { containsUnknown } from "./validate";

/**
 * How long diff (a preview) retries a transient error resolving a tag. Fixed, whatever
 * timeoutSeconds says, which in a preview may not even be known.
 */
export const DIFF_RETRY_SECONDS = 60;

/** What the small serialized provider (shim.ts) loads; a stored provider without it is a by-value copy. */
const RUNTIME_MODULE = "pulumi-ecr-imagescan/runtime";

/** The inputs that say where an ECR call goes. An unknown one means: no call. */
const TARGET = ["repositoryName", "registryId", "region", "endpoint", "profile", "imageTag"] as const;

export async function diff(ctx: Context, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.DiffResult> {
    // With an unknown target, build no client at all: nothing may reach ECR.
    const transport = TARGET.every((k) => !containsUnknown(news[k]))
        ? ctx.transport({ region: news.region, endpoint: news.endpoint, profile: news.profile })
        : undefined;
    const defaultRegion = news.region === undefined ? await transport?.region().catch(() => undefined) : undefined;
    let resolvedDigest: string | null | undefined;
    // Only a tag-only input needs AWS here: one DescribeImages. A pinned digest needs none.
    if (transport && news.imageDigest === undefined && news.imageTag !== undefined && news.repositoryName === olds.repositoryName) {
        const ecr = new Ecr(
            transport,
            {
                repositoryName: news.repositoryName,
                registryId: news.registryId ?? olds.registryId,
                region: news.region ?? defaultRegion ?? olds.region,
                imageTag: news.imageTag,
                endpoint: news.endpoint,
            },
            news.profile,
        );
        const found = await ctx.persist(ctx.now().getTime() + DIFF_RETRY_SECONDS * 1000, () => ecr.findImage());
        resolvedDigest = found ? found.imageDigest : null;
    }
    const stored = (olds as { __provider?: unknown }).__provider;
    const providerOutdated = typeof stored === "string" && !stored.includes(`require("${RUNTIME_MODULE}")`);
    const plan = planDiff(olds, news, { now: ctx.now(), resolvedDigest, defaultRegion, providerOutdated });
    if (plan.replaces.length > 0 || plan.rescan) {
        // The engine shows only "replace"/"update"; say why a scan is planned.
        const tag = containsUnknown(news.imageTag) ? olds.imageTag : news.imageTag;
        ctx.log(`${shortLabel({ ...olds, imageTag: tag })}: ${plan.reasons.join("; ")}`);
    }
    // Always explicit: left undefined, the engine would diff every property itself.
    return { changes: plan.changes, replaces: plan.replaces, deleteBeforeReplace: false };
}
