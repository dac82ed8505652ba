import { progressTokenOf, requestProgress, type ProgressNotification } from './progress';

describe('requestProgress', () => {
  const channel = (notify = jest.fn((_sent: ProgressNotification) => Promise.resolve())) => ({
    notify,
    onFailure: jest.fn(),
  });

  it('sends nothing when the request carried no progress token', async () => {
    const { notify, onFailure } = channel();
    const progress = requestProgress({ token: undefined, notify, onFailure });
    progress.report(1, 2, 'half');
    await progress.finish();
    expect(notify).not.toHaveBeenCalled();
  });

  it('sends increasing progress with the token, total and message, in order', async () => {
    const { notify, onFailure } = channel();
    const progress = requestProgress({ token: 'tok', notify, onFailure });
    progress.report(1, 3, 'one');
    progress.report(1, 3, 'one again');
    progress.report(0.5, 3, 'backwards');
    progress.report(2);
    progress.report(3, 3, 'done');
    await progress.finish();
    const sent = notify.mock.calls.map(([n]) => n);
    expect(sent).toEqual([
      {
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 1, total: 3, message: 'one' },
      },
      { method: 'notifications/progress', params: { progressToken: 'tok', progress: 2 } },
      {
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 3, total: 3, message: 'done' },
      },
    ]);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('sends nothing once the request is finished', async () => {
    const { notify, onFailure } = channel();
    const progress = requestProgress({ token: 7, notify, onFailure });
    await progress.finish();
    progress.report(1, 1);
    await progress.finish();
    expect(notify).not.toHaveBeenCalled();
  });

  it('reports a failing send, thrown or rejected, and carries on', async () => {
    let calls = 0;
    const notify = jest.fn(() => {
      calls += 1;
      if (calls === 1) throw new Error('not connected');
      if (calls === 2) return Promise.reject(new Error('stream closed'));
      return Promise.resolve();
    });
    const onFailure = jest.fn();
    const progress = requestProgress({ token: 'tok', notify, onFailure });
    progress.report(1);
    progress.report(2);
    progress.report(3);
    await expect(progress.finish()).resolves.toBeUndefined();
    expect(notify).toHaveBeenCalledTimes(3);
    expect(onFailure.mock.calls.map(([e]: [Error]) => e.message)).toEqual([
      'not connected',
      'stream closed',
    ]);
  });
});

describe('progressTokenOf', () => {
  it('reads a string or number token and ignores anything else', () => {
    expect(progressTokenOf({ progressToken: 'a' })).toBe('a');
    expect(progressTokenOf({ progressToken: 0 })).toBe(0);
    expect(progressTokenOf({ progressToken: { x: 1 } })).toBeUndefined();
    expect(progressTokenOf(undefined)).toBeUndefined();
  });
});
