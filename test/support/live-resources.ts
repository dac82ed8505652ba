import type { Client } from '@modelcontextprotocol/client';
import type { FakeAareguru } from '../fake-upstream/fake-aareguru';

/** The URIs a client is told changed (`notifications/resources/updated`), in order. */
export function updatesOf(client: Client): string[] {
  const uris: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (notification) => {
    uris.push(notification.params.uri);
  });
  return uris;
}

let minutes = 0;

/** A new measurement of a city upstream, ten minutes after the last one any test made. */
export function measure(fake: FakeAareguru, city: string, temperature: number): void {
  minutes += 10;
  fake.setCity(city, { temperature, timestamp: 1_800_000_000 + minutes * 60 });
}
