import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/server';
import { isDeliverable } from './event-ids';
import type { SessionEventLog } from './session-event-log';

/**
 * The SDK's `EventStore` contract over one session's part of the log: what a transport built on
 * the SDK's own Streamable HTTP classes would take. Lookups never leave the session: an event id
 * of another session is unknown here. Priming placeholders are not replayed as messages.
 */
export function eventStoreOf(log: SessionEventLog, sessionId: string): Required<EventStore> {
  return {
    storeEvent: (streamId, message) => log.append(sessionId, streamId, message),
    getStreamIdForEventId: async (eventId: EventId): Promise<StreamId | undefined> =>
      (await log.after(sessionId, eventId))?.streamId,
    replayEventsAfter: async (lastEventId, { send }) => {
      const found = await log.after(sessionId, lastEventId);
      if (!found) throw new Error(`Unknown event id for this session: ${lastEventId}`);
      for (const event of found.events) {
        if (isDeliverable(event.message)) await send(event.id, event.message);
      }
      return found.streamId;
    },
  };
}
