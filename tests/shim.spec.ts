// The small provider that state holds (`__provider`): it loads the implementation by
// package name when a method runs. Here the package is played by a stand-in, or is
// missing, or fails to load, at the one place the shim reaches it: the require of
// "pulumi-ecr-imagescan/runtime".

import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import Module = require("module");
import { ImageScan, ImageScanArgs } from "../provider/resource";
import { shim } from "../provider/shim";

const RUNTIME = "pulumi-ecr-imagescan/runtime";
type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Loader };

/** Runs `fn` with the runtime module answered by `answer` (exports, or an error thrown). */
async function withRuntime<T>(answer: unknown, fn: () => Promise<T>): Promise<T> {
    const original = loader._load;
    loader._load = function (request, parent, isMain) {
        if (request === RUNTIME) {
            if (answer instanceof Error) {
                throw answer;
            }
            return answer;
        }
        return original.call(this, request, parent, isMain);
    };
    try {
        return await fn();
    } finally {
        loader._load = original;
    }
}

const moduleNotFound = (name: string) =>
    Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /srv/app/node_modules/pulumi-ecr-imagescan/dist/runtime.js`), { code: "MODULE_NOT_FOUND" });

/** A stand-in runtime whose provider records each call and answers with its name. */
function standIn() {
    const calls: [string, unknown[]][] = [];
    const method = (name: string) => async (...args: unknown[]) => {
        calls.push([name, args]);
        return { answeredBy: name };
    };
    const provider = { check: method("check"), diff: method("diff"), create: method("create"), update: method("update"), read: method("read"), delete: method("delete") };
    return { exports: { provider }, calls };
}

const s = shim as Required<typeof shim>;

describe("shim (the provider in state)", () => {
    it("check, diff, create, update and read go to the installed package's provider, with their arguments", async () => {
        const runtime = standIn();
        await withRuntime(runtime.exports, async () => {
            assert.deepEqual(await s.check({ a: 1 }, { b: 2 }), { answeredBy: "check" });
            assert.deepEqual(await s.diff("id", { o: 1 }, { n: 2 }), { answeredBy: "diff" });
            assert.deepEqual(await s.create({ c: 3 }), { answeredBy: "create" });
            assert.deepEqual(await s.update("id", { o: 1 }, { n: 2 }), { answeredBy: "update" });
            assert.deepEqual(await s.read("id", { p: 1 }), { answeredBy: "read" });
        });
        assert.deepEqual(runtime.calls, [
            ["check", [{ a: 1 }, { b: 2 }]],
            ["diff", ["id", { o: 1 }, { n: 2 }]],
            ["create", [{ c: 3 }]],
            ["update", ["id", { o: 1 }, { n: 2 }]],
            ["read", ["id", { p: 1 }]],
        ]);
    });

    for (const [what, error, firstLine] of [
        ["the package not installed", moduleNotFound(RUNTIME), `Cannot find module '${RUNTIME}'`],
        ["a dependency of the package missing", moduleNotFound("@aws-sdk/client-ecr"), "Cannot find module '@aws-sdk/client-ecr'"],
        ["the package failing to load", new SyntaxError("Unexpected token '?'\n    at wrapSafe"), "Unexpected token '?'"],
    ] as const) {
        it(`${what}: every method says what failed to load and where, in one line, without stack frames`, async () => {
            for (const call of [() => s.check({}, {}), () => s.diff("id", {}, {}), () => s.create({}), () => s.update("id", {}, {}), () => s.read("id", {})]) {
                await withRuntime(error, () =>
                    assert.rejects(call(), (e: Error) => {
                        assert.equal(e.name, "PackageLoadError");
                        assert.equal(e.message, `ImageScan could not load pulumi-ecr-imagescan in ${process.cwd()}: ${firstLine}. Install it or fix that; plain pulumi destroy works without it.`);
                        assert.equal(e.stack, "");
                        assert.equal(e.cause, error);
                        return true;
                    }),
                );
            }
        });
    }
});

describe("shim: what an ImageScan hands Pulumi (pulumi mocks)", function () {
    this.timeout(30_000);
    const registered = new Map<string, Record<string, unknown>>();
    const TYPE = "pulumi-nodejs:dynamic/imagescan:ImageScan";

    before(async () => {
        pulumi.runtime.setAllConfig({
            "aws:region": "ap-south-1",
            "aws:profile": "corp",
            "aws:endpoints": JSON.stringify([{ s3: "http://127.0.0.1:9000" }, { ecr: "http://127.0.0.1:4566" }]),
        });
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    if (args.type === TYPE) {
                        registered.set(args.name, args.inputs);
                    }
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call: (args) => args.inputs,
            },
            "imagescan-shim-test",
            "dev",
            false,
        );
    });

    async function declare(name: string, args: ImageScanArgs): Promise<Record<string, unknown>> {
        const scan = new ImageScan(name, args);
        await new Promise((resolve) => scan.urn.apply(resolve));
        const inputs = registered.get(name);
        assert.ok(inputs, `${name} was not registered as ${TYPE}`);
        return inputs;
    }

    it("region, profile and endpoint default to the AWS provider's config (its ecr endpoint)", async () => {
        const inputs = await declare("defaults", { repositoryName: "web", imageTag: "v1" });
        assert.deepEqual([inputs.region, inputs.profile, inputs.endpoint], ["ap-south-1", "corp", "http://127.0.0.1:4566"]);
    });

    it("what the program sets wins over the config", async () => {
        const inputs = await declare("explicit", { repositoryName: "web", imageTag: "v1", region: "us-east-1", profile: "dev", endpoint: "http://127.0.0.1:5000" });
        assert.deepEqual([inputs.region, inputs.profile, inputs.endpoint], ["us-east-1", "dev", "http://127.0.0.1:5000"]);
    });

    it("an imageUri names its own region: aws:region does not contradict it", async () => {
        const inputs = await declare("by-uri", { imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1" });
        assert.equal(inputs.region, undefined);
        assert.equal(inputs.imageUri, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1");
    });

    it("without an ecr entry in aws:endpoints, no endpoint", async () => {
        pulumi.runtime.setConfig("aws:endpoints", JSON.stringify([{ s3: "http://127.0.0.1:9000" }]));
        const inputs = await declare("no-ecr-endpoint", { repositoryName: "web", imageTag: "v1" });
        assert.equal(inputs.endpoint, undefined);
    });
});
