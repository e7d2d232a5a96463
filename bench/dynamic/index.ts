// The example program (../../index.ts) with one trivial dynamic resource in place of
// ImageScan: it reads the same config and exports it. The benchmark previews it beside
// bench/noscan and the example, to tell what any dynamic resource costs a program start
// (serializing a provider, starting the dynamic provider host) from ImageScan's own part.

import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
        return { id: "trivial", outs: inputs };
    },
};

class Trivial extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, unknown>) {
        super(provider, name, props);
    }
}
new Trivial("trivial", { repositoryName: config.require("repositoryName") });

export const repositoryName = config.require("repositoryName");
export const imageTag = config.get("imageTag");
