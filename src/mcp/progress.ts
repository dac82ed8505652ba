import { NO_PROGRESS, type ProgressReporter } from '../aare/progress-reporter';

export type ProgressToken = string | number;

export interface ProgressNotification {
  method: 'notifications/progress';
  params: { progressToken: ProgressToken; progress: number; total?: number; message?: string };
}

export interface ProgressChannel {
  /** The token the caller sent in `params._meta.progressToken`; no token, no notifications. */
  token: ProgressToken | undefined;
  /** Sends a notification related to the request, so it travels on the request's own stream. */
  notify: (notification: ProgressNotification) => Promise<void>;
  /** A lost notification is logged, never the call's failure. */
  onFailure: (error: unknown) => void;
}

/** The reporter handed to the work, and how the request waits for what it sent. */
export interface RequestProgress {
  report: ProgressReporter;
  /**
   * Resolves once every notification reported so far has been handed to the transport, and
   * stops any later report: nothing about a request may follow its answer.
   */
  finish(): Promise<void>;
}

const SILENT: RequestProgress = { report: NO_PROGRESS, finish: () => Promise.resolve() };

/** Reads the progress token a request carries in `_meta`, if it is a valid one. */
export function progressTokenOf(meta: unknown): ProgressToken | undefined {
  const token = (meta as { progressToken?: unknown } | undefined)?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/**
 * Turns progress reports into `notifications/progress` for one request. The spec wants the
 * progress value to increase with every notification, so a report that does not is dropped.
 * Sends are chained, so notifications keep their order whatever the transport does.
 */
export function requestProgress(channel: ProgressChannel): RequestProgress {
  const { token } = channel;
  if (token === undefined) return SILENT;
  let last = Number.NEGATIVE_INFINITY;
  let open = true;
  let sent = Promise.resolve();
  const report: ProgressReporter = (progress, total, message) => {
    if (!open || !Number.isFinite(progress) || progress <= last) return;
    last = progress;
    const params: ProgressNotification['params'] = { progressToken: token, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    sent = sent
      .then(() => channel.notify({ method: 'notifications/progress', params }))
      .catch(channel.onFailure);
  };
  return {
    report,
    finish: () => {
      open = false;
      return sent;
    },
  };
}
