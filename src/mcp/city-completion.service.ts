import { Injectable } from '@nestjs/common';
import { AareguruService, normaliseCityId } from '../aareguru/aareguru.service';

/** Completion of `{city}` from upstream's (cached) city list, shared by templates and prompts. */
@Injectable()
export class CityCompletionService {
  constructor(private readonly aareguru: AareguruService) {}

  async complete(prefix: string | undefined): Promise<string[]> {
    const wanted = normaliseCityId(prefix ?? '');
    try {
      const ids = await this.aareguru.cityIds();
      return ids.filter((id) => id.startsWith(wanted));
    } catch {
      // Completion is a convenience: with upstream down it offers nothing rather than failing.
      return [];
    }
  }
}
