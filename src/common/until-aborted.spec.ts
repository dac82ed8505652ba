import { untilAborted } from './until-aborted';

describe('untilAborted', () => {
  const never = new Promise<string>(() => undefined);

  it('settles as the work does while the signal stays quiet', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve('done'), controller.signal)).resolves.toBe('done');
    await expect(
      untilAborted(Promise.reject(new Error('failed')), controller.signal),
    ).rejects.toThrow('failed');
    await expect(untilAborted(Promise.resolve('no signal'))).resolves.toBe('no signal');
  });

  it('stops waiting for unfinished work when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const waiting = untilAborted(never, controller.signal);
    const reason = new Error('cancelled by the client');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('does not wait at all on a signal already aborted', async () => {
    await expect(untilAborted(never, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });

  it('lets go of the signal once the work is done', async () => {
    const controller = new AbortController();
    const remove = jest.spyOn(controller.signal, 'removeEventListener');
    await untilAborted(Promise.resolve(1), controller.signal);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
