// diff as the engine calls it: the one ECR call a plan may make (a tag-only input's
// DescribeImages), which client it is built for, and the line that says why a scan is
// planned.

import { strict as assert } from "assert";
import { context } from "../provider/context";
import { diff, DIFF_RETRY_SECONDS } from "../provider/plan";
import { ImageScanProvider } from "../provider/provider";
import { ImageScanInputs, ImageScanOutputs } from "../provider/types";
import { UNKNOWN } from "../provider/validate";
import { awsError, DIGEST, fakeClock, imageFound, REGISTRY, storedOutputs, stubTransport, StubScript } from "./support/stub";

const OTHER = "sha256:" + "cd".repeat(32);

function news(over: Partial<ImageScanInputs> = {}): ImageScanInputs {
    return { repositoryName: "web", imageTag: "v1", region: "eu-west-1", waitForCompletion: true, timeoutSeconds: 1200, ignoreFindings: [], ...over };
}

function olds(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    return storedOutputs({ imageTag: "v1", ...over });
}

function setup(script: StubScript, region?: () => Promise<string>) {
    const stub = stubTransport(script);
    const clock = fakeClock();
    const logs: string[] = [];
    const ctx = context({
        transport: (t) => ({ ...stub.factory(t), ...(region ? { region } : {}) }),
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        log: (l) => logs.push(l),
    });
    return { ctx, stub, clock, logs };
}

describe("plan (diff)", () => {
    it("a tag-only input looks the tag up once, in the recorded registry, on a client for the input's target", async () => {
        const { ctx, stub, logs } = setup({ describeImages: [imageFound()] });
        const n = news({ endpoint: "http://127.0.0.1:5000", profile: "dev" });
        assert.deepEqual(await diff(ctx, olds({ endpoint: "http://127.0.0.1:5000", profile: "dev" }), n), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(stub.calls, ["describeImages"]);
        assert.deepEqual(stub.inputs, [{ repositoryName: "web", registryId: REGISTRY, imageIds: [{ imageTag: "v1" }] }]);
        assert.deepEqual(stub.targets, [{ region: "eu-west-1", endpoint: "http://127.0.0.1:5000", profile: "dev" }]);
        assert.deepEqual(logs, []);
    });

    it("an explicit registryId is the one looked in (and another registry is a replace)", async () => {
        const { ctx, stub } = setup({ describeImages: [imageFound()] });
        assert.deepEqual((await diff(ctx, olds(), news({ registryId: "111111111111" }))).replaces, ["registryId"]);
        assert.equal((stub.inputs[0] as { registryId: string }).registryId, "111111111111");
    });

    it("a moved tag is a replace, and the log says where it moved", async () => {
        const { ctx, logs } = setup({ describeImages: [imageFound(OTHER)] });
        assert.deepEqual(await diff(ctx, olds(), news()), { changes: true, replaces: ["imageDigest"], deleteBeforeReplace: false });
        assert.deepEqual(logs, [`web@${DIGEST.slice(0, 15)}…: tag v1 moved to ${OTHER}`]);
    });

    it("a tag that is gone is a replace (create then fails clearly)", async () => {
        const { ctx, logs } = setup({ describeImages: [awsError("ImageNotFoundException")] });
        assert.deepEqual((await diff(ctx, olds(), news())).replaces, ["imageDigest"]);
        assert.match(logs.join("\n"), /tag v1 no longer exists/);
    });

    it("a pinned digest makes no ECR call", async () => {
        const { ctx, stub } = setup({});
        assert.equal((await diff(ctx, olds(), news({ imageDigest: DIGEST }))).changes, false);
        assert.deepEqual(stub.calls, []);
    });

    it("a renamed repository is a replace without a lookup: the old tag means nothing there", async () => {
        const { ctx, stub, logs } = setup({});
        assert.deepEqual((await diff(ctx, olds(), news({ repositoryName: "api" }))).replaces, ["repositoryName"]);
        assert.deepEqual(stub.calls, []);
        assert.deepEqual(logs, [`web@${DIGEST.slice(0, 15)}…: repositoryName web -> api`]);
        const both = setup({});
        await diff(both.ctx, olds(), news({ repositoryName: "api", region: "us-east-1" }));
        assert.deepEqual(both.logs, [`web@${DIGEST.slice(0, 15)}…: repositoryName web -> api; region eu-west-1 -> us-east-1`]);
    });

    it("an unset region: the client gets none (the SDK's default), and diff compares against the default", async () => {
        const { ctx, stub } = setup({ describeImages: [imageFound()] }, async () => "us-west-2");
        const d = await diff(ctx, olds(), news({ region: undefined }));
        assert.deepEqual(d.replaces, ["region"]);
        assert.deepEqual(stub.targets, [{ region: undefined, endpoint: undefined, profile: undefined }]);
    });

    it("a failed lookup names the region it went to: the input's, else the SDK default, else the recorded one", async () => {
        const denied = { describeImages: [awsError("AccessDeniedException", "no")] };
        const cases: [string | undefined, (() => Promise<string>) | undefined, string][] = [
            ["eu-west-1", async () => "us-west-2", "eu-west-1"],
            [undefined, async () => "us-west-2", "us-west-2"],
            [undefined, () => Promise.reject(new Error("Region is missing")), "eu-central-1"],
        ];
        for (const [region, sdkDefault, named] of cases) {
            const { ctx } = setup(denied, sdkDefault);
            await assert.rejects(diff(ctx, olds({ region: "eu-central-1" }), news({ region })), (e: Error) => {
                assert.match(e.message, new RegExp(`^ECR DescribeImages failed for image ${REGISTRY}/web:v1 \\(${named}\\): AccessDeniedException`));
                return true;
            });
        }
    });

    it("an unset region with no SDK default is no replace", async () => {
        const { ctx, stub } = setup({ describeImages: [imageFound()] }, () => Promise.reject(new Error("Region is missing")));
        assert.deepEqual(await diff(ctx, olds(), news({ region: undefined })), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(stub.calls, ["describeImages"]);
    });

    it("a set region never asks the SDK for its default", async () => {
        let asked = 0;
        const { ctx } = setup({ describeImages: [imageFound()] }, async () => {
            asked++;
            return "us-west-2";
        });
        assert.equal((await diff(ctx, olds(), news())).changes, false);
        assert.equal(asked, 0);
    });

    it("an unknown target builds no client at all, and the log line shows the recorded tag, never the sentinel", async () => {
        for (const key of ["repositoryName", "registryId", "region", "endpoint", "profile", "imageTag"] as const) {
            const { ctx, stub, logs } = setup({});
            const d = await diff(ctx, olds(), news({ [key]: UNKNOWN }));
            assert.equal(d.changes, true, key);
            assert.deepEqual(stub.targets, [], key);
            assert.doesNotMatch(logs.join("\n"), new RegExp(UNKNOWN), key);
        }
        const { ctx, logs } = setup({});
        await diff(ctx, olds({ imageDigest: undefined as never }), news({ imageTag: UNKNOWN }));
        assert.deepEqual(logs, ["web:v1: imageTag is not known until apply"]);
    });

    it("a due rescan is logged with its reason; a plain setting change is not", async () => {
        const setting = setup({});
        assert.equal((await diff(setting.ctx, olds(), news({ imageDigest: DIGEST, rescanAfterHours: 48 }))).changes, true);
        assert.deepEqual(setting.logs, []);
        const due = setup({});
        due.clock.advance(23 * 3600_000);
        const r = await diff(due.ctx, olds({ rescanAfterHours: 24 }), news({ imageDigest: DIGEST, rescanAfterHours: 24 }));
        assert.deepEqual(r, { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(due.logs, [`web@${DIGEST.slice(0, 15)}…: rescan due: 24 h since 2026-11-29T09:00:00.000Z`]);
    });

    it("a by-value copy of an older provider in state plans an update; the small provider, or none, plans nothing", async () => {
        const cases: [unknown, boolean][] = [
            ["exports.handler = __f0; function __f0() { /* the whole provider */ }", true],
            ['function __load() { return require("pulumi-ecr-imagescan/runtime").provider; }', false],
            ['require("pulumi-ecr-imagescan/runtime.js")', true],
            [undefined, false],
            [{ not: "a string" }, false],
        ];
        for (const [stored, changes] of cases) {
            const { ctx } = setup({});
            const d = await diff(ctx, { ...olds(), __provider: stored } as ImageScanOutputs, news({ imageDigest: DIGEST }));
            assert.equal(d.changes, changes, JSON.stringify(stored));
            assert.deepEqual(d.replaces, []);
        }
    });

    it("a throttled lookup is retried with backoff within a fixed minute, whatever timeoutSeconds says", async () => {
        assert.equal(DIFF_RETRY_SECONDS, 60);
        const { ctx, clock, stub } = setup({ describeImages: [awsError("ThrottlingException", "Rate exceeded"), awsError("ThrottlingException", "Rate exceeded"), imageFound(OTHER)] });
        assert.deepEqual((await diff(ctx, olds(), news({ timeoutSeconds: 1 }))).replaces, ["imageDigest"]);
        assert.equal(stub.calls.length, 3);
        assert.deepEqual(clock.sleeps, [1500, 2700]);
    });
});

describe("plan through the provider", () => {
    it("an unexpected failure in diff says so, with no stack", async () => {
        const provider = new ImageScanProvider({ transport: stubTransport({}).factory, log: () => undefined });
        // State from no version of ImageScan: no topFindings, no ignoredFindings.
        const broken = { ...olds({ failOnSeverity: "HIGH" }), topFindings: undefined, ignoredFindings: undefined } as unknown as ImageScanOutputs;
        await assert.rejects(provider.diff("id", broken, news({ imageDigest: DIGEST, failOnSeverity: "HIGH", ignoreFindings: [{ name: "CVE-1", until: "2020-01-01" }] })), (e: Error) => {
            assert.equal(e.name, "UnexpectedError");
            assert.match(e.message, /^ImageScan diff failed: TypeError: /);
            assert.equal(e.stack, "");
            return true;
        });
    });

    it("diff's answer reaches the engine as planned", async () => {
        const provider = new ImageScanProvider({ transport: stubTransport({ describeImages: [imageFound(OTHER)] }).factory, log: () => undefined });
        assert.deepEqual(await provider.diff("id", olds(), news()), { changes: true, replaces: ["imageDigest"], deleteBeforeReplace: false });
    });
});
