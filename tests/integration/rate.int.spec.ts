// ECR's rate limits, as the lab emulates them (a token bucket per operation at the
// proxy), and the provider's pacing under them: many ImageScans in one provider
// process share one client per region and endpoint, and its pacer (provider/pace.ts).

import { strict as assert } from "assert";
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { ImageScanOutputs } from "../../provider/index";
import { DEFAULT_REQUESTS_PER_SECOND } from "../../provider/pace";
import * as fx from "../support/ecr";
import { useLab } from "../support/lab";
import { Call, DEFAULT_RATE_LIMIT } from "../support/proxy";

/** The most calls that arrived within any one second. */
function busiestSecond(calls: Call[]): number {
    const times = calls.map((c) => c.at as number).sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= 1000) {
            j++;
        }
        best = Math.max(best, i - j + 1);
    }
    return best;
}

describe("ECR's rate limits and the provider's pace", function () {
    this.timeout(180_000);
    const lab = useLab();
    beforeEach(() => {
        lab().proxy.reset();
        // Full buckets: what one test drew from ECR's limit is not the next one's.
        lab().proxy.rateLimit(DEFAULT_RATE_LIMIT);
    });
    afterEach(() => {
        delete process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND;
    });

    it("the lab answers ThrottlingException past the bucket of one operation, and not to another operation", async () => {
        const { proxy } = lab();
        const repo = await lab().repository("rate");
        const client = new ECRClient({ endpoint: proxy.url, region: fx.REGION, maxAttempts: 1 });
        try {
            const burst = DEFAULT_RATE_LIMIT.burst + 10;
            const answers = await Promise.allSettled(Array.from({ length: burst }, () => client.send(new DescribeImagesCommand({ repositoryName: repo }))));
            const refused = answers.filter((a) => a.status === "rejected").map((a) => (a.reason as Error).name);
            // All 30 arrive within milliseconds: the bucket's 20 and the odd refill token pass.
            assert.ok(refused.length >= 5 && refused.length <= 10, `${refused.length} of ${burst} refused`);
            assert.deepEqual([...new Set(refused)], ["ThrottlingException"]);
            assert.equal(proxy.calls.filter((c) => c.throttled).length, refused.length);
            // Another operation has a bucket of its own.
            await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repo] }));
        } finally {
            client.destroy();
        }
    });

    /** 40 new images, then 40 creates at once through one provider, under ECR's default limits. */
    async function fortyCreatesAtOnce(name: string) {
        const repo = await lab().repository(name);
        const digests = await lab().pushImages(repo, 40);
        lab().proxy.reset();
        lab().proxy.rateLimit(DEFAULT_RATE_LIMIT);
        const p = lab().provider();
        const outs = await Promise.all(
            digests.map(async (_, i) => (await p.create(await lab().inputs(p, { repositoryName: repo, imageTag: `img-${i}` }))).outs as ImageScanOutputs),
        );
        return { digests, outs };
    }

    it(`40 ImageScans created at once share one pace of ${DEFAULT_REQUESTS_PER_SECOND}/s: not one call throttled`, async () => {
        const { proxy } = lab();
        const { digests, outs } = await fortyCreatesAtOnce("paced");
        assert.deepEqual(
            outs.map((o) => [o.imageDigest, o.scanStatus]),
            digests.map((d) => [d, "COMPLETE"]),
        );
        const ecr = proxy.calls.filter((c) => c.operation !== "GET /" && !c.operation.startsWith("POST /moto-api"));
        assert.equal(ecr.filter((c) => c.throttled).length, 0, `throttled: ${ecr.filter((c) => c.throttled).map((c) => c.operation).join(", ")}`);
        assert.equal(proxy.count("StartImageScan"), 40);
        // The pacer lets at most rate + burst go in any one second (25); arrivals may bunch
        // a little on a busy machine, hence the margin. Unpaced, the first second holds
        // all 40 DescribeImages and their retries.
        assert.ok(busiestSecond(ecr) <= 2 * DEFAULT_REQUESTS_PER_SECOND, `${busiestSecond(ecr)} calls in one second`);
    });

    it("without the pace (IMAGESCAN_ECR_REQUESTS_PER_SECOND=0) the same 40 creates bounce off the limit, and still succeed", async () => {
        const { proxy } = lab();
        process.env.IMAGESCAN_ECR_REQUESTS_PER_SECOND = "0";
        const { digests, outs } = await fortyCreatesAtOnce("unpaced");
        assert.deepEqual(
            outs.map((o) => o.scanStatus),
            digests.map(() => "COMPLETE"),
        );
        // The SDK's adaptive mode learns the limit only by being throttled.
        assert.ok(proxy.calls.filter((c) => c.throttled).length > 0, "no call throttled without the pace");
        assert.ok(busiestSecond(proxy.calls) > 2 * DEFAULT_REQUESTS_PER_SECOND, `only ${busiestSecond(proxy.calls)} calls in the busiest second`);
        assert.equal(proxy.calls.filter((c) => c.operation === "StartImageScan" && c.status === 200).length, 40);
    });
});
