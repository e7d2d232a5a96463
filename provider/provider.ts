// The dynamic provider: thin glue between the engine's calls and the modules that do
// the work (validate, plan, apply, read).
//
// Pulumi serializes this object by value into state as `__provider`. It therefore holds
// no client and no credentials: clients are built inside the methods, from inputs.

import * as dynamic from "@pulumi/pulumi/dynamic";
import { apply } from "./apply";
import { context, ImageScanProviderOptions } from "./context";
import { userFacing } from "./errors";
import { diff } from "./plan";
import { read } from "./read";
import { ImageScanInputs, ImageScanOutputs } from "./types";
import { validateInputs } from "./validate";

export type { ImageScanProviderOptions } from "./context";
export { topFindings } from "./outputs";

export class ImageScanProvider implements dynamic.ResourceProvider<ImageScanInputs, ImageScanOutputs> {
    constructor(private readonly options: ImageScanProviderOptions = {}) {}

    // Every error leaves as one of ImageScan's: the host prints a thrown error's stack
    // for check, diff and read, and ours carry none.
    async check(_olds: ImageScanInputs, news: ImageScanInputs): Promise<dynamic.CheckResult<ImageScanInputs>> {
        try {
            return validateInputs(news as unknown as Record<string, unknown>);
        } catch (e) {
            throw userFacing("check", e);
        }
    }

    async diff(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.DiffResult> {
        try {
            return await diff(context(this.options), olds, news);
        } catch (e) {
            throw userFacing("diff", e);
        }
    }

    async create(inputs: ImageScanInputs): Promise<dynamic.CreateResult<ImageScanOutputs>> {
        try {
            const outs = await apply(context(this.options), inputs);
            return { id: `${outs.registryId}/${outs.repositoryName}@${outs.imageDigest}`, outs };
        } catch (e) {
            throw userFacing("create", e);
        }
    }

    async update(_id: string, olds: ImageScanOutputs, news: ImageScanInputs): Promise<dynamic.UpdateResult<ImageScanOutputs>> {
        try {
            return { outs: await apply(context(this.options), news, olds) };
        } catch (e) {
            throw userFacing("update", e);
        }
    }

    async read(id: string, props?: ImageScanOutputs): Promise<dynamic.ReadResult<ImageScanOutputs>> {
        try {
            return await read(context(this.options), id, props);
        } catch (e) {
            throw userFacing("read", e);
        }
    }

    /** A scan cannot be deleted: deleting the resource only forgets it. No AWS call. */
    async delete(): Promise<void> {}
}
