// read, for `pulumi refresh`: re-read status and findings of every image scanned; an
// image or repository that is gone drops the resource from state.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { imageRef } from "./apply";
import { Context } from "./context";
import { Ecr } from "./ecr";
import { ImageNotFoundError } from "./errors";
import { leftOut } from "./gate";
import { combine, outputs, recordedResult, Scanned } from "./outputs";
import { DIFF_RETRY_SECONDS } from "./plan";
import { continued } from "./scan";
import { ImageEntry, ImageScanOutputs } from "./types";

export async function read(ctx: Context, id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
    if (!props?.imageDigest) {
        return { id, props };
    }
    const image = imageRef(props);
    const transport = ctx.transport(props);
    // Like a preview, a refresh rides out ECR's blips for a fixed minute at most.
    const deadline = ctx.now().getTime() + DIFF_RETRY_SECONDS * 1000;
    if (!(await ctx.persist(deadline, () => new Ecr(transport, image, props.profile).findImage()))) {
        return {};
    }
    // State written before `images` existed: the outputs are the one image.
    const recorded: ImageEntry[] = props.images ?? [{ ...props }];
    const scans: Scanned[] = await Promise.all(
        recorded.map(async (previous): Promise<Scanned> => {
            const one = { ...image, imageDigest: previous.imageDigest, platform: previous.platform };
            const recorded = recordedResult(props, props.images ? previous : undefined);
            const result = await ctx.persist(deadline, () => new Ecr(transport, one, props.profile).readScan(previous.imageDigest)).catch((e: unknown) => {
                // A platform image gone from an index that is still there (a lifecycle rule
                // expires untagged images): what was recorded stands, and the user hears of it.
                if (previous.platform !== undefined && e instanceof ImageNotFoundError) {
                    ctx.log(`warning: ${e.message}`);
                    return recorded;
                }
                throw e;
            });
            const record = { ...previous, scanType: props.scanType };
            return { platform: previous.platform, imageDigest: previous.imageDigest, collected: continued(record, result ?? recorded) };
        }),
    );
    // A refresh does not judge: it keeps, for the findings there now, every one an ignore
    // entry names, expired or not. An expired one then still makes diff plan the update
    // in which the gate sees it again.
    const ignored = leftOut(combine(scans).result.findings, props.failOnSeverity, props.ignoreFindings ?? []);
    return { id, props: outputs(props, image, scans, ignored) };
}
