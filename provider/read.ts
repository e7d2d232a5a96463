// read, for `pulumi refresh`: re-read status and findings; an image or repository that
// is gone drops the resource from state.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { imageRef } from "./apply";
import { Context } from "./context";
import { Ecr } from "./ecr";
import { leftOut } from "./gate";
import { outputs } from "./outputs";
import { DIFF_RETRY_SECONDS } from "./plan";
import { continued } from "./scan";
import { ImageScanOutputs } from "./types";

export async function read(ctx: Context, id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
    if (!props?.imageDigest) {
        return { id, props };
    }
    const image = imageRef(props);
    const ecr = new Ecr(ctx.transport(props), image, props.profile);
    // Like a preview, a refresh rides out ECR's blips for a fixed minute at most.
    const deadline = ctx.now().getTime() + DIFF_RETRY_SECONDS * 1000;
    if (!(await ctx.persist(deadline, () => ecr.findImage()))) {
        return {};
    }
    const result = await ctx.persist(deadline, () => ecr.readScan(props.imageDigest));
    if (!result) {
        return { id, props };
    }
    // A refresh does not judge: it keeps, for the findings there now, every one an ignore
    // entry names, expired or not. An expired one then still makes diff plan the update
    // in which the gate sees it again.
    const ignored = leftOut(result.findings, props.failOnSeverity, props.ignoreFindings ?? []);
    return { id, props: outputs(props, image, continued(props, result), ignored) };
}
