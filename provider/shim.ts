// The provider object an ImageScan hands to Pulumi, which serializes it into state, once
// per resource, as `__provider`, in the inputs and again in the outputs. The serializer
// copies functions by their source text and the modules they capture by value (or
// hoists a `require` of them that runs when the text loads), so these functions capture
// nothing but `get`: each loads the implementation by package name when it is called.
// That keeps `__provider` small (about 2 KiB, both copies under 4 KiB), lets state
// written by one version run with the next, and lets `pulumi destroy` (without
// --refresh) run when the package is no longer installed.
//
// Every function here costs its source and a wrapper of about 170 bytes in each copy:
// there is no `delete` (the host skips a missing one, and deleting only forgets the
// scan: no AWS call), the messages are short, and so is the name `get`, which each
// wrapper repeats. Comments stay outside the function bodies: whatever is inside goes
// into state.
//
// `require` here is the provider host's, which resolves from the program's directory.

import type * as dynamic from "@pulumi/pulumi/dynamic";

type Provider = Required<dynamic.ResourceProvider>;

export const shim: dynamic.ResourceProvider = {
    check: async (...a) => get().check(...a),
    diff: async (...a) => get().diff(...a),
    create: async (...a) => get().create(...a),
    update: async (...a) => get().update(...a),
    read: async (...a) => get().read(...a),
};

/**
 * The implementation, or a clear error when the package is gone or broken. The host
 * prints the stack of what check, diff and read throw: it is empty.
 */
function get(): Provider {
    try {
        return require("pulumi-ecr-imagescan/runtime").provider;
    } catch (e) {
        const m = String((e as Error).message).split("\n")[0];
        throw Object.assign(new Error(`ImageScan could not load pulumi-ecr-imagescan in ${process.cwd()}: ${m}. Install it or fix that; plain pulumi destroy works without it.`), { name: "PackageLoadError", stack: "", cause: e });
    }
}
