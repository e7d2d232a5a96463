// The resource in a program, under Pulumi's mocks: wiring with @pulumi/aws, defaults
// from the AWS provider's config, and what the serialized provider carries into state.

import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ImageScanInputs, ImageScanProvider } from "../provider";

const KEY_ID = "AKIAMOCKSDONOTLEAK01";
const SECRET = "mocks/secret/value/that-must-never-reach-state";
const TOKEN = "mocks-session-token-never-in-state";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

describe("resource (pulumi mocks)", function () {
    this.timeout(60_000);
    const registered: Registered[] = [];

    before(async () => {
        process.env.AWS_ACCESS_KEY_ID = KEY_ID;
        process.env.AWS_SECRET_ACCESS_KEY = SECRET;
        process.env.AWS_SESSION_TOKEN = TOKEN;
        pulumi.runtime.setAllConfig({
            "aws:region": "eu-central-1",
            "aws:endpoints": JSON.stringify([{ ecr: "http://127.0.0.1:4566" }]),
        });
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    const state: Record<string, unknown> = { ...args.inputs };
                    if (args.type === "aws:ecr/repository:Repository") {
                        state.repositoryUrl = `123456789012.dkr.ecr.eu-central-1.amazonaws.com/${args.inputs.name}`;
                        state.registryId = "123456789012";
                    }
                    if (args.type === "pulumi-nodejs:dynamic/imagescan:ImageScan") {
                        Object.assign(state, { scanStatus: "COMPLETE", findingsTotal: 0, imageDigest: "sha256:" + "c".repeat(64) });
                    }
                    return { id: `${args.name}-id`, state };
                },
                call: (args) => args.inputs,
            },
            "imagescan-test",
            "dev",
            false,
        );
    });

    it("wires aws.ecr.Repository -> ImageScan -> a consumer that dependsOn the scan", async () => {
        const { program } = await import("./support/wiring");
        const out = program();
        const [digest, status, consumerValue] = await new Promise<[string, string, string]>((resolve) =>
            pulumi.all([out.scan.imageDigest, out.scan.scanStatus, out.release.value]).apply((v) => resolve(v as [string, string, string])),
        );
        assert.equal(status, "COMPLETE");
        assert.equal(digest, "sha256:" + "c".repeat(64));
        assert.equal(consumerValue, digest);

        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan, registered.map((r) => r.type).join(", "));
        assert.equal(scan.inputs.repositoryName, "web");
        // Defaults from the AWS provider's own config.
        assert.equal(scan.inputs.region, "eu-central-1");
        assert.equal(scan.inputs.endpoint, "http://127.0.0.1:4566");
    });

    it("the serialized provider is at most 64 KiB and holds no credential", async () => {
        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan);
        const serialized = scan.inputs.__provider;
        assert.equal(typeof serialized, "string");
        const text = serialized as string;
        const bytes = Buffer.byteLength(text);
        console.log(`      __provider: ${bytes} bytes`);
        assert.ok(bytes > 1000, "the provider's code is in state");
        assert.ok(bytes <= 64 * 1024, `__provider is ${bytes} bytes`);
        for (const secret of [KEY_ID, SECRET, TOKEN]) {
            assert.ok(!text.includes(secret), "a credential reached __provider");
            assert.ok(!JSON.stringify(scan.inputs).includes(secret), "a credential reached the inputs");
        }
        // No SDK client or credential provider travels with it: clients are built per call.
        assert.doesNotMatch(text, /ECRClient\(\{[^}]*credentials/);
        assert.match(text, /require\("@aws-sdk\/client-ecr[^"]*"\)/);
    });

    it("the serialized provider runs when loaded the way the provider host loads it", async () => {
        const scan = registered.find((r) => r.type === "pulumi-nodejs:dynamic/imagescan:ImageScan");
        assert.ok(scan);
        // The dynamic provider host deserializes with require-from-string, then calls handler().
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const requireFromString = require("require-from-string") as (code: string) => { handler: () => ImageScanProvider };
        const provider = requireFromString(scan.inputs.__provider as string).handler();
        const ok = await provider.check({} as ImageScanInputs, { repositoryName: "web", imageTag: "v1" } as ImageScanInputs);
        assert.deepEqual(ok.failures ?? [], []);
        assert.equal(ok.inputs?.timeoutSeconds, 1200);
        const bad = await provider.check({} as ImageScanInputs, { repositoryName: "web", imageTag: "v1", imageTga: "x" } as unknown as ImageScanInputs);
        assert.deepEqual(bad.failures?.map((f) => f.property), ["imageTga"]);

        // Errors keep their message after serialization (the engine shows only e.message).
        const inputs = {
            ...(ok.inputs as ImageScanInputs),
            region: "us-east-1",
            endpoint: "http://127.0.0.1:9",
            // Refused connections are retried until the deadline: keep it short.
            timeoutSeconds: 2,
            imageDigest: "sha256:" + "d".repeat(64),
        };
        await assert.rejects(provider.create(inputs), (e: Error) => {
            assert.equal(e.name, "EcrRequestError");
            assert.match(String(e.message), /ECR DescribeImages failed for image web:v1@sha256:d+ \(us-east-1, endpoint http:\/\/127.0.0.1:9\)/);
            return true;
        });
    });
});
