// The real provider against a real moto_server (started here), through a recording
// proxy that counts ECR calls by operation.

import { strict as assert } from "assert";
import { ImageScanOutputs, ImageScanProvider, ImageScanProviderOptions } from "../../provider/index";
import * as fx from "../support/ecr";
import { useLab } from "../support/lab";
import { Moto } from "../support/moto";
import { RecordingProxy } from "../support/proxy";

const HOUR = 3600_000;

const OUTPUT_KEYS = [
    "repositoryName",
    "registryId",
    "region",
    "imageDigest",
    "waitForCompletion",
    "timeoutSeconds",
    "ignoreFindings",
    "scanStatus",
    "scanStatusDescription",
    "scanType",
    "scanStartedAt",
    "nextScanAllowedAt",
    "scanCompletedAt",
    "vulnerabilitySourceUpdatedAt",
    "findingSeverityCounts",
    "findingsTotal",
    "topFindings",
    "adoptedExistingScan",
    "ignoredFindings",
    "imageUri",
    "images",
];

describe("ImageScanProvider against moto_server", function () {
    this.timeout(120_000);
    const lab = useLab();
    let moto: Moto;
    let proxy: RecordingProxy;
    let logs: string[];
    before(() => {
        ({ moto, proxy, logs } = lab());
    });
    beforeEach(() => {
        proxy.reset();
        logs.length = 0;
    });
    const provider = (extra: ImageScanProviderOptions = {}) => lab().provider(extra);
    const check = (p: ImageScanProvider, raw: Record<string, unknown>) => lab().inputs(p, raw);

    /** A fresh repository with one image; returns its name and digest. */
    async function image(tag = "v1"): Promise<{ repo: string; digest: string }> {
        const repo = await lab().repository("app");
        return { repo, digest: await lab().pushImage(repo, tag) };
    }

    it("create by tag resolves the digest, scans once and records the result", async () => {
        const { repo, digest } = await image();
        const p = provider();
        const res = await p.create(await check(p, { repositoryName: repo, imageTag: "v1" }));
        const outs = res.outs as ImageScanOutputs;

        assert.equal(res.id, `${fx.ACCOUNT}/${repo}@${digest}`);
        assert.equal(outs.imageDigest, digest);
        assert.equal(outs.imageTag, "v1");
        assert.equal(outs.registryId, fx.ACCOUNT);
        assert.equal(outs.region, fx.REGION);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(outs.scanType, "BASIC");
        assert.equal(outs.adoptedExistingScan, false);
        // moto's default result: one HIGH finding.
        assert.deepEqual(outs.findingSeverityCounts, { HIGH: 1 });
        assert.equal(outs.findingsTotal, 1);
        assert.equal(outs.topFindings[0].name, "CVE-9999-9999");
        assert.equal(outs.topFindings[0].packageName, "moto_fake");
        assert.equal(Date.parse(outs.nextScanAllowedAt) - Date.parse(outs.scanStartedAt), 24 * HOUR);
        // The ECR calls a create makes: resolve, look for a scan in the window, start, poll.
        assert.deepEqual(
            proxy.calls.map((c) => c.operation),
            ["DescribeImages", "DescribeImageScanFindings", "StartImageScan", "DescribeImageScanFindings"],
        );
    });

    it("create by digest scans that digest and records no tag", async () => {
        const { repo, digest } = await image();
        const p = provider();
        const outs = (await p.create(await check(p, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;
        assert.equal(outs.imageDigest, digest);
        assert.equal(outs.imageTag, undefined);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(proxy.count("StartImageScan"), 1);
    });

    it("a second resource on the same image adopts the scan; StartImageScan is sent once", async () => {
        const { repo, digest } = await image();
        const first = (await provider().create(await check(provider(), { repositoryName: repo, imageTag: "v1" }))).outs as ImageScanOutputs;
        const p2 = provider();
        const second = (await p2.create(await check(p2, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;

        assert.equal(first.adoptedExistingScan, false);
        assert.equal(second.adoptedExistingScan, true);
        assert.equal(second.scanStatus, "COMPLETE");
        assert.deepEqual(second.findingSeverityCounts, first.findingSeverityCounts);
        assert.equal(proxy.count("StartImageScan"), 1);
        // An adopted scan's start is unknown: its completion time stands in (errs late).
        assert.equal(second.scanStartedAt, second.scanCompletedAt);
    });

    it("LimitExceededException from ECR is adopted, and is not retried by the SDK", async () => {
        const { repo, digest } = await image();
        await provider().create(await check(provider(), { repositoryName: repo, imageDigest: digest }));
        proxy.reset();
        // Hide the existing scan from the pre-check so that StartImageScan is sent and
        // moto answers it with its real quota error.
        proxy.inject("DescribeImageScanFindings", { kind: "status", status: 400, code: "ScanNotFoundException", message: "hidden" });
        const p = provider();
        const outs = (await p.create(await check(p, { repositoryName: repo, imageDigest: digest }))).outs as ImageScanOutputs;

        assert.equal(outs.adoptedExistingScan, true);
        assert.equal(outs.scanStatus, "COMPLETE");
        const starts = proxy.calls.filter((c) => c.operation === "StartImageScan");
        assert.equal(starts.length, 1, "the SDK must not retry LimitExceededException");
        assert.equal(starts[0].status, 400);
    });

    it("a moved tag makes diff replace, and create then scans the new digest", async () => {
        const { repo, digest } = await image("prod");
        const p = provider();
        const inputs = await check(p, { repositoryName: repo, imageTag: "prod" });
        const olds = (await p.create(inputs)).outs as ImageScanOutputs;

        const moved = await fx.pushImage(moto.url, repo, "prod", `${repo}-prod-2`);
        assert.notEqual(moved, digest);
        proxy.reset();
        const diff = await p.diff("id", olds, inputs);
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, ["imageDigest"]);
        assert.deepEqual(proxy.calls.map((c) => c.operation), ["DescribeImages"]);

        const outs = (await p.create(inputs)).outs as ImageScanOutputs;
        assert.equal(outs.imageDigest, moved);
        assert.equal(outs.adoptedExistingScan, false);
    });

    it("a tag that no longer exists makes diff replace, and create fails naming the tag", async () => {
        const { repo, digest } = await image("gone");
        const p = provider();
        const inputs = await check(p, { repositoryName: repo, imageTag: "gone" });
        const olds = (await p.create(inputs)).outs as ImageScanOutputs;
        await fx.deleteImage(moto.url, repo, digest);

        const diff = await p.diff("id", olds, inputs);
        assert.deepEqual(diff.replaces, ["imageDigest"]);
        await assert.rejects(p.create(inputs), (e: Error) => {
            assert.equal(e.name, "ImageNotFoundError");
            assert.match(e.message, /tag "gone"/);
            assert.match(e.message, new RegExp(repo));
            assert.match(e.message, /us-east-1/);
            return true;
        });
    });

    it("re-running inside the 24 h window plans nothing: 0 ECR calls pinned, 1 DescribeImages by tag", async () => {
        const { repo, digest } = await image();
        const created = Date.now();
        const later = provider({ now: () => new Date(created + 23 * HOUR + 59 * 60_000) });

        const pinned = await check(later, { repositoryName: repo, imageDigest: digest, rescanAfterHours: 24 });
        const olds = (await provider().create(pinned)).outs as ImageScanOutputs;
        proxy.reset();
        const diff = await later.diff("id", olds, pinned);
        assert.deepEqual(diff, { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.equal(proxy.calls.length, 0);

        const byTag = await check(later, { repositoryName: repo, imageTag: "v1" });
        const oldsByTag = { ...olds, imageTag: "v1", rescanAfterHours: undefined };
        delete oldsByTag.rescanAfterHours;
        const diff2 = await later.diff("id", oldsByTag, byTag);
        assert.equal(diff2.changes, false);
        assert.deepEqual(proxy.calls.map((c) => c.operation), ["DescribeImages"]);
    });

    it("a rescan that is due makes diff update, and update sends StartImageScan", async () => {
        const { repo, digest } = await image();
        const inputs = await check(provider(), { repositoryName: repo, imageDigest: digest, rescanAfterHours: 24 });
        const olds = (await provider().create(inputs)).outs as ImageScanOutputs;
        const later = provider({ now: () => new Date(Date.parse(olds.scanStartedAt) + 24 * HOUR + 60_000) });

        const diff = await later.diff("id", olds, inputs);
        assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        proxy.reset();
        const outs = (await later.update("id", olds, inputs)).outs as ImageScanOutputs;
        assert.equal(proxy.count("StartImageScan"), 1);
        // moto's quota is per calendar day, so it refuses the start and the scan of today
        // is adopted; real ECR would accept it (the stubbed tests cover that answer).
        assert.equal(outs.adoptedExistingScan, true);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.deepEqual(Object.keys(outs).sort(), [...OUTPUT_KEYS, "rescanAfterHours", "endpoint"].sort());
    });

    it("the gate fails with finding names and counts, stores nothing, and an ignore then passes without a second scan", async () => {
        const { repo, digest } = await image();
        await fx.setCannedFindings(moto.url, repo, digest, [
            { name: "CVE-2026-0001", severity: "CRITICAL", packageName: "openssl", packageVersion: "3.0.1" },
            { name: "CVE-2026-0002", severity: "HIGH" },
            { name: "CVE-2026-0003", severity: "LOW" },
        ]);
        const p = provider();
        const gated = await check(p, { repositoryName: repo, imageDigest: digest, failOnSeverity: "HIGH" });
        await assert.rejects(p.create(gated), (e: Error) => {
            assert.equal(e.name, "GateFailedError");
            assert.match(e.message, /CRITICAL: 1, HIGH: 1/);
            assert.match(e.message, /CVE-2026-0001, CVE-2026-0002/);
            assert.doesNotMatch(e.message, /CVE-2026-0003/);
            assert.match(e.message, /ignoreFindings/);
            assert.match(e.message, new RegExp(`${repo}@${digest}`));
            return true;
        });
        assert.equal(proxy.count("StartImageScan"), 1);

        const accepted = await check(p, {
            repositoryName: repo,
            imageDigest: digest,
            failOnSeverity: "HIGH",
            ignoreFindings: [{ name: "CVE-2026-0001", reason: "not reachable" }, "CVE-2026-0002"],
        });
        const outs = (await p.create(accepted)).outs as ImageScanOutputs;
        assert.equal(outs.adoptedExistingScan, true);
        assert.deepEqual(outs.findingSeverityCounts, { CRITICAL: 1, HIGH: 1, LOW: 1 });
        assert.deepEqual(outs.topFindings.map((f) => f.name), ["CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"]);
        assert.equal(proxy.count("StartImageScan"), 1, "the retry adopts the same scan");
    });

    it("an expired ignore counts again and warns", async () => {
        const { repo, digest } = await image();
        await fx.setCannedFindings(moto.url, repo, digest, [{ name: "CVE-2026-0100", severity: "HIGH" }]);
        const p = provider();
        const inputs = await check(p, {
            repositoryName: repo,
            imageDigest: digest,
            failOnSeverity: "HIGH",
            ignoreFindings: [{ name: "CVE-2026-0100", until: "2020-01-01" }],
        });
        await assert.rejects(p.create(inputs), /CVE-2026-0100/);
        assert.equal(logs.filter((l) => /warning: .*CVE-2026-0100.*expired at 2020-01-01/.test(l)).length, 1);
    });

    it("update returns every output, with the new settings", async () => {
        const { repo, digest } = await image();
        const p = provider();
        const inputs = await check(p, { repositoryName: repo, imageTag: "v1" });
        const olds = (await p.create(inputs)).outs as ImageScanOutputs;
        const news = await check(p, { repositoryName: repo, imageTag: "v1", timeoutSeconds: 600 });

        const diff = await p.diff("id", olds, news);
        assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
        proxy.reset();
        const outs = (await p.update("id", olds, news)).outs as ImageScanOutputs;
        assert.deepEqual(Object.keys(outs).sort(), [...OUTPUT_KEYS, "imageTag", "endpoint"].sort());
        assert.equal(outs.timeoutSeconds, 600);
        assert.equal(outs.imageDigest, digest);
        assert.equal(outs.scanStartedAt, olds.scanStartedAt);
        assert.equal(proxy.count("StartImageScan"), 0, "a settings change never scans");
    });

    it("read refreshes the result, and drops the resource once the image is deleted", async () => {
        const { repo, digest } = await image();
        const p = provider();
        const created = await p.create(await check(p, { repositoryName: repo, imageDigest: digest }));
        const props = created.outs as ImageScanOutputs;

        const read = await p.read(created.id, props);
        assert.equal(read.id, created.id);
        assert.equal((read.props as ImageScanOutputs).scanStatus, "COMPLETE");
        assert.equal((read.props as ImageScanOutputs).scanStartedAt, props.scanStartedAt);

        await fx.deleteImage(moto.url, repo, digest);
        const gone = await p.read(created.id, props);
        assert.equal(gone.id, undefined);

        await fx.deleteRepository(moto.url, repo);
        assert.equal((await p.read(created.id, props)).id, undefined);
    });

    it("delete makes no ECR call", async () => {
        const { repo, digest } = await image();
        const p = provider();
        const created = await p.create(await check(p, { repositoryName: repo, imageDigest: digest }));
        proxy.reset();
        await p.delete();
        assert.equal(proxy.calls.length, 0);
        void created;
    });

    it("a missing repository or image fails with the repository, image, registry and region named", async () => {
        const p = provider();
        await assert.rejects(p.create(await check(p, { repositoryName: "no-such-repo", imageTag: "v1" })), (e: Error) => {
            assert.equal(e.name, "RepositoryNotFoundError");
            assert.match(e.message, /"no-such-repo"/);
            assert.match(e.message, /no-such-repo:v1/);
            assert.match(e.message, /us-east-1/);
            assert.match(e.message, /RepositoryNotFoundException/);
            return true;
        });
        const { repo } = await image();
        const digest = "sha256:" + "0".repeat(64);
        await assert.rejects(
            p.create(await check(p, { repositoryName: repo, imageDigest: digest, registryId: fx.ACCOUNT })),
            (e: Error) => {
                assert.equal(e.name, "ImageNotFoundError");
                assert.match(e.message, new RegExp(`${fx.ACCOUNT}/${repo}@${digest}`));
                assert.match(e.message, /Push the image first/);
                return true;
            },
        );
        assert.equal(proxy.count("StartImageScan"), 0);
    });

    it("throttling on DescribeImages and DescribeImageScanFindings is retried and create succeeds", async () => {
        const { repo, digest } = await image();
        proxy.inject("DescribeImages", { kind: "status", status: 400, code: "ThrottlingException", message: "slow down" });
        proxy.inject("DescribeImageScanFindings", { kind: "status", status: 503, code: "ServiceUnavailableException" });
        const p = provider();
        const outs = (await p.create(await check(p, { repositoryName: repo, imageTag: "v1" }))).outs as ImageScanOutputs;
        assert.equal(outs.imageDigest, digest);
        assert.equal(outs.scanStatus, "COMPLETE");
        assert.equal(proxy.count("DescribeImages"), 2);
        assert.equal(proxy.count("StartImageScan"), 1);
    });
});
