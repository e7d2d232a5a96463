// read, for `pulumi refresh`: re-read status and findings; an image or repository that
// is gone drops the resource from state.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { imageRef } from "./apply";
import { Context } from "./context";
import { Ecr } from "./ecr";
import { evaluateGate } from "./gate";
import { outputs } from "./outputs";
import { ImageScanOutputs } from "./types";

export async function read(ctx: Context, id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
    if (!props?.imageDigest) {
        return { id, props };
    }
    const image = imageRef(props);
    const ecr = new Ecr(ctx.transport(props), image, props.profile);
    if (!(await ecr.findImage())) {
        return {};
    }
    const result = await ecr.readScan(props.imageDigest);
    if (!result) {
        return { id, props };
    }
    // The gate does not fail a refresh; it only says again which findings it left out.
    const ignored = evaluateGate(image, result, props.failOnSeverity, props.ignoreFindings ?? [], ctx.now()).ignored;
    return { id, props: outputs(props, image, { result, scanStartedAt: props.scanStartedAt, adopted: props.adoptedExistingScan }, ignored) };
}
