// ECR allows one scan per image per 24 hours, and a scan on push counts toward it.
// These helpers are the only place that knows the window's length.

export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** When the next scan of the same image is allowed, as ISO-8601. */
export function nextScanAllowedAt(scanStartedAt: string): string {
    return new Date(Date.parse(scanStartedAt) + QUOTA_WINDOW_MS).toISOString();
}

/** True while a scan that started at scanStartedAt still blocks a new one. */
export function insideQuotaWindow(scanStartedAt: string, now: Date): boolean {
    return now.getTime() < Date.parse(scanStartedAt) + QUOTA_WINDOW_MS;
}

/**
 * True when the user asked for periodic rescans and the last one is old enough.
 * rescanAfterHours is at least 24 (check enforces it), so a due rescan is always
 * outside the quota window too.
 */
export function rescanDue(scanStartedAt: string, rescanAfterHours: number | undefined, now: Date): boolean {
    return rescanAfterHours !== undefined && now.getTime() >= Date.parse(scanStartedAt) + rescanAfterHours * HOUR_MS;
}

/**
 * The start of an adopted scan whose real start ECR does not report: its completion
 * time, or now if it is still running. Both err late, so the window is never overrun.
 */
export function estimateAdoptedStart(scanCompletedAt: string | undefined, now: Date): string {
    return scanCompletedAt ?? now.toISOString();
}

/**
 * Whether a scan found in ECR still counts against the window, judged from what ECR
 * reports (completion time, or a status that means it is running).
 */
export function existingScanBlocks(scanCompletedAt: string | undefined, running: boolean, now: Date): boolean {
    return running || (!!scanCompletedAt && insideQuotaWindow(scanCompletedAt, now));
}
