// An ImageScan whose tag (and an ignore's `until`, and timeoutSeconds) come from another
// resource's outputs. When that resource is replaced, a preview does not know them yet:
// the engine sends ImageScan's check and diff its "unknown" sentinel instead.
const pulumi = require("@pulumi/pulumi");
const { ImageScan } = require("pulumi-ecr-imagescan");

const config = new pulumi.Config();

// Echoes its input as `tag`; a new input replaces it, so its outputs are unknown in a preview.
const echo = {
    async create(inputs) {
        return { id: `tag-${inputs.value}`, outs: { value: inputs.value, tag: inputs.value } };
    },
    async diff(_id, olds, news) {
        const changed = olds.value !== news.value;
        return { changes: changed, replaces: changed ? ["value"] : [] };
    },
};
const tag = new pulumi.dynamic.Resource(echo, "tag", { value: config.require("imageTag"), tag: undefined });
const resolved = tag.tag;

const scan = new ImageScan("scan", {
    repositoryName: config.require("repositoryName"),
    imageTag: resolved,
    timeoutSeconds: resolved.apply(() => 600),
    failOnSeverity: "CRITICAL",
    ignoreFindings: [{ name: "CVE-2026-0001", until: resolved.apply(() => "2030-01-01"), reason: "not reachable" }],
});

exports.imageDigest = scan.imageDigest;
exports.scanStatus = scan.scanStatus;
