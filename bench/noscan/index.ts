// The example program (../../index.ts) without ImageScan: it reads the same config and
// exports it. The benchmark previews both, so the difference is ImageScan's share of a
// program start: loading and type-checking provider/, serializing the provider, and
// starting the dynamic provider host for check.

import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

export const repositoryName = config.require("repositoryName");
export const imageTag = config.get("imageTag");
