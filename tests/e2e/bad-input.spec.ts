// Bad input through the real engine: `pulumi preview` of the example program with a bad
// stack config value fails, shows the property, the value and the fix, prints no stack
// trace, and makes no ECR call. One stack; the config changes between previews.
//
// Needs `pulumi` on PATH: `npm test` puts it there (scripts/pulumi-cli.sh).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { useLab } from "../support/lab";
import { RecordingProxy } from "../support/proxy";
import { REPO_ROOT, Workspace } from "../support/pulumi";

/** A line of a JavaScript or TypeScript stack trace, e.g. "    at run (x.js:12:3)". */
const STACK_LINE = /^\s+at .+:\d+(?::\d+)?\)?\s*$/m;

describe("end to end: bad input fails the preview", function () {
    this.timeout(300_000);
    const lab = useLab();
    let proxy: RecordingProxy;
    let ws: Workspace;
    const stack = "e2e-bad-input";
    let repo: string;
    const suiteStart = Date.now();

    before(async () => {
        ({ proxy, ws } = lab());
        repo = await lab().repository("e2e-bad-input");
        await lab().pushImage(repo, "v1");
        await lab().stack(stack, REPO_ROOT, { repositoryName: repo, imageTag: "v1" });
        // A resource in state, so that a preview that got past check would diff it, and
        // a tag-only diff calls DescribeImages: the zero count below can fail.
        await ws.ok(["up", "--yes", "--skip-preview"], { stack });
    });
    after(async () => {
        await ws?.run(["destroy", "--yes", "--skip-preview"], { stack });
        console.log(`      bad-input e2e suite: ${((Date.now() - suiteStart) / 1000).toFixed(1)} s`);
    });

    it("a valid preview of the tag-only stack reaches ECR (one DescribeImages): the proxy counts", async () => {
        proxy.reset();
        const preview = await ws.ok(["preview"], { stack });
        assert.doesNotMatch(preview.output, STACK_LINE);
        assert.deepEqual(proxy.calls.map((c) => c.operation), ["DescribeImages"]);
    });

    interface Case {
        what: string;
        /** `pulumi config set` arguments that make the input bad. */
        set: string[][];
        /** Puts the config back. */
        restore: string[][];
        property: string;
        value: string;
        fix: RegExp;
    }

    const cases: Case[] = [
        {
            what: "rescanAfterHours 23",
            set: [["config", "set", "rescanAfterHours", "23"]],
            restore: [["config", "rm", "rescanAfterHours"]],
            property: "rescanAfterHours",
            value: "23",
            fix: /at least 24/,
        },
        {
            what: "failOnSeverity SEVERE",
            set: [["config", "set", "failOnSeverity", "SEVERE"]],
            restore: [["config", "rm", "failOnSeverity"]],
            property: "failOnSeverity",
            value: "SEVERE",
            fix: /CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL/,
        },
        {
            what: 'imageTag "a b"',
            set: [["config", "set", "imageTag", "a b"]],
            restore: [["config", "set", "imageTag", "v1"]],
            property: "imageTag",
            value: "a b",
            fix: /no whitespace/,
        },
        {
            what: 'ignoreFindings[0].until "next week"',
            set: [
                ["config", "set", "--path", "ignoreFindings[0].name", "CVE-2026-0001"],
                ["config", "set", "--path", "ignoreFindings[0].until", "next week"],
            ],
            restore: [["config", "rm", "ignoreFindings"]],
            property: "ignoreFindings[0].until",
            value: "next week",
            fix: /ISO-8601/,
        },
    ];

    for (const c of cases) {
        it(`${c.what}: preview exits non-zero naming the property, the value and the fix, with no ECR call`, async () => {
            for (const args of c.set) {
                await ws.ok(args, { stack });
            }
            try {
                proxy.reset();
                const preview = await ws.run(["preview"], { stack });
                assert.notEqual(preview.code, 0, preview.output);
                assert.ok(preview.output.includes(c.property), `no ${c.property} in:\n${preview.output}`);
                assert.ok(preview.output.includes(c.value), `no ${c.value} in:\n${preview.output}`);
                assert.match(preview.output, c.fix);
                assert.doesNotMatch(preview.output, STACK_LINE, "a stack trace was printed");
                assert.deepEqual(proxy.calls.map((x) => x.operation), [], "check called ECR");
            } finally {
                for (const args of c.restore) {
                    await ws.ok(args, { stack });
                }
            }
        });
    }

    it("leaves no stack files in the repository", () => {
        assert.deepEqual(fs.readdirSync(REPO_ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f)), []);
        assert.ok(fs.existsSync(path.join(ws.dir, `Pulumi.${stack}.yaml`)));
    });
});
