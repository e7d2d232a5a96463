// Small numeric helpers for the benchmark.

export function median(xs: number[]): number {
    if (xs.length === 0) {
        return NaN;
    }
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: number[]): number {
    return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** "1.23" style, or "–" for a missing value. */
export function fixed(x: number | undefined, digits = 1): string {
    return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

/** Median with the range of the runs, e.g. "12.3 (11.9–13.0)"; just the value for one run. */
export function medianRange(xs: number[], digits = 1): string {
    if (xs.length === 0) {
        return "–";
    }
    if (xs.length === 1) {
        return fixed(xs[0], digits);
    }
    return `${fixed(median(xs), digits)} (${fixed(Math.min(...xs), digits)}–${fixed(Math.max(...xs), digits)})`;
}

export function kib(bytes: number): string {
    return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function mib(kibibytes: number): string {
    return `${(kibibytes / 1024).toFixed(0)} MiB`;
}
