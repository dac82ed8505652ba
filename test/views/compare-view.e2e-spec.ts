import {
  describeViews,
  expectDarkAndNarrowFit,
  plain,
  type ShownView,
  viewFixture,
} from '../support/views-browser';

describeViews('The compare view in a browser', ({ browser, photograph, text }) => {
  const fixture = viewFixture('compare');

  const rowCities = (shown: ShownView) =>
    shown.view
      .locator('table.compare tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-city')));
  const header = (shown: ShownView, title: string) =>
    shown.view.locator('table.compare thead th').filter({ hasText: title });

  it('lists the cities warmest first with their values, the BAFU level and the badges', async () => {
    const shown = await browser.show('compare', fixture);
    expect(await rowCities(shown)).toEqual([
      'biel',
      'brugg',
      'olten',
      'hagneck',
      'interlaken',
      'thun',
      'bern',
      'brienz',
    ]);
    const cells = (city: string) =>
      shown.view
        .locator(`tbody tr[data-city="${city}"]`)
        .locator('th, td')
        .evaluateAll((all) =>
          all.map((cell) =>
            (cell as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim(),
          ),
        );
    expect(await cells('biel')).toEqual([
      'Biu biel warmest',
      '21.4',
      '230',
      '1 no or low danger',
      '23:10',
    ]);
    expect(await cells('brienz')).toEqual([
      'Brienz brienz coldest safest',
      '8.3',
      '61',
      '1 no or low danger',
      '23:10',
    ]);
    // No flow: dashes, never "null"; the level is unknown in words, not by colour alone.
    expect(await cells('olten')).toEqual([
      'Oute olten',
      '20.2',
      '–',
      '– unknown: no flow data',
      '23:05',
    ]);
    // Bern's measurement is from another day: its date is shown.
    expect(await cells('bern')).toEqual([
      'Bärn bern',
      '12.5',
      '247',
      '1 no or low danger',
      '9 May 2023, 13:20',
    ]);
    const shownText = await text(shown);
    expect(shownText).toContain('Warmest: Biu 21.4 °C; coldest: Brienz 8.3 °C; safest: Brienz.');
    expect(shownText).not.toMatch(/null|NaN|undefined/);
    expect(shownText).toContain('Data: aare.guru');
    // The level chip has the level's colour and its number.
    const chip = shown.view.locator('tbody tr[data-city="biel"] .chip');
    expect(await chip.innerText()).toBe('1');
    expect(
      await chip.evaluate(
        (el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor,
      ),
    ).toBe('rgb(200, 230, 160)');
    await photograph('compare-light', shown);
    await shown.page.close();
  });

  it('sorts by a column from its header, unknown values last in both directions', async () => {
    const shown = await browser.show('compare', fixture);
    const water = header(shown, 'Water');
    const flow = header(shown, 'Flow');
    expect(await water.getAttribute('aria-sort')).toBeNull();

    await water.locator('button.sort').click();
    expect(await water.getAttribute('aria-sort')).toBe('descending');
    expect((await rowCities(shown))[0]).toBe('biel');
    // From the keyboard as well.
    await water.locator('button.sort').press('Enter');
    expect(await water.getAttribute('aria-sort')).toBe('ascending');
    expect(plain(await shown.view.locator('.card p[role="status"]').textContent())).toBe(
      'Sorted by Water °C, ascending.',
    );
    expect(await rowCities(shown)).toEqual([
      'brienz',
      'bern',
      'thun',
      'interlaken',
      'hagneck',
      'olten',
      'brugg',
      'biel',
    ]);

    await flow.locator('button.sort').press('Enter');
    expect(await flow.getAttribute('aria-sort')).toBe('descending');
    expect(await water.getAttribute('aria-sort')).toBeNull();
    expect(await rowCities(shown)).toEqual([
      'brugg',
      'bern',
      'biel',
      'thun',
      'hagneck',
      'interlaken',
      'brienz',
      'olten',
    ]);
    await flow.locator('button.sort').press('Enter');
    expect(await flow.getAttribute('aria-sort')).toBe('ascending');
    expect(await rowCities(shown)).toEqual([
      'brienz',
      'interlaken',
      'hagneck',
      'thun',
      'biel',
      'bern',
      'brugg',
      'olten',
    ]);

    await header(shown, 'City').locator('button.sort').press('Enter');
    expect(await header(shown, 'City').getAttribute('aria-sort')).toBe('ascending');
    expect((await rowCities(shown)).slice(0, 3)).toEqual(['bern', 'biel', 'brienz']);
    await shown.page.close();
  });

  it('draws the stations on a schematic map along the Aare, upstream to downstream', async () => {
    const shown = await browser.show('compare', fixture);
    const map = shown.view.locator('svg.station-map');
    expect(await map.getAttribute('role')).toBe('img');
    const label = plain(await map.getAttribute('aria-label'));
    expect(label).toMatch(/^Schematic map of 8 stations along the Aare/);
    expect(label).toContain(
      'Brienz 8.3 °C, Interlake 18.1 °C, Thun 17.2 °C, Bärn 12.5 °C, Hagneck 18.6 °C, Biu 21.4 °C, Oute 20.2 °C, Brugg AG 20.6 °C',
    );
    expect(await map.locator('g.station circle').count()).toBe(8);
    const labels = await map
      .locator('g.station')
      .evaluateAll((groups) =>
        groups.map((g) => [
          g.getAttribute('data-city'),
          g.querySelector('text.label')!.textContent!.replace(/\s+/g, ' '),
        ]),
      );
    expect(labels).toEqual([
      ['brienz', 'Brienz8.3 °C'],
      ['interlaken', 'Interlake18.1 °C'],
      ['thun', 'Thun17.2 °C'],
      ['bern', 'Bärn12.5 °C'],
      ['hagneck', 'Hagneck18.6 °C'],
      ['biel', 'Biu21.4 °C'],
      ['olten', 'Oute20.2 °C'],
      ['brugg', 'Brugg AG20.6 °C'],
    ]);
    // North up, east right: Brugg is north-east of Brienz… and Interlaken south of Thun.
    const centre = (city: string) =>
      map
        .locator(`g.station[data-city="${city}"] circle`)
        .evaluate((c) => ({ x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')) }));
    const brienz = await centre('brienz');
    const brugg = await centre('brugg');
    const hagneck = await centre('hagneck');
    expect(brugg.y).toBeLessThan(brienz.y);
    expect(hagneck.x).toBeLessThan(brienz.x);
    // Olten has no BAFU level: its circle is not coloured as if it had one.
    expect(plain(await map.locator('g.station[data-city="olten"] text.level').textContent())).toBe(
      '–',
    );
    expect(await text(shown)).toContain(
      'Schematic map: each station where its coordinates put it (north up), the Aare drawn straight from station to station, from Brienz downstream.',
    );
    expect(await map.locator('path.river').getAttribute('d')).toMatch(/^M\S+ \S+( L\S+ \S+){7}$/);
    await shown.page.close();
  });

  it('draws the river only through stations whose place on it is known', async () => {
    type Entry = { city: string; name: string | null; coordinates: unknown };
    const structured = (fixture.result as { structuredContent: { cities: Entry[] } })
      .structuredContent;
    const thun = structured.cities.find((c) => c.city === 'thun')!;
    const bern = structured.cities.find((c) => c.city === 'bern')!;
    const shown = await browser.show('compare', {
      ...fixture,
      result: {
        ...fixture.result,
        structuredContent: {
          ...structured,
          cities: [
            bern,
            thun,
            {
              ...thun,
              city: 'solothurn',
              name: 'Soledurn',
              coordinates: { lat: 47.21, lon: 7.53 },
            },
          ],
        },
      },
    });
    const map = shown.view.locator('svg.station-map');
    expect(await map.locator('g.station circle').count()).toBe(3);
    // One segment, Thun to Bern; Solothurn stands apart.
    expect(await map.locator('path.river').getAttribute('d')).toMatch(/^M\S+ \S+ L\S+ \S+$/);
    expect(await text(shown)).toContain(
      'from Thun downstream; a station whose place on the river is not known, without the line.',
    );
    await shown.page.close();
  });

  it('shows a city without data with its error in its row, and leaves it off the map', async () => {
    const structured = (fixture.result as { structuredContent: { cities: unknown[] } })
      .structuredContent;
    const withError = {
      ...fixture,
      result: {
        ...fixture.result,
        structuredContent: {
          ...structured,
          cities: [
            ...structured.cities,
            {
              city: 'zurich',
              name: null,
              temperature: null,
              text: null,
              flow: null,
              danger: { level: null, label: 'unknown: no flow data', source: 'unknown' },
              measuredAt: null,
              coordinates: null,
              error: 'Unknown city "zurich".',
            },
          ],
        },
      },
    };
    const shown = await browser.show('compare', withError);
    const zurich = shown.view.locator('tbody tr[data-city="zurich"]');
    expect(await zurich.innerText()).toContain('Unknown city "zurich".');
    expect((await rowCities(shown)).at(-1)).toBe('zurich');
    // Still last when sorted by water either way.
    await header(shown, 'Water').locator('button.sort').press('Enter');
    expect((await rowCities(shown)).at(-1)).toBe('zurich');
    await header(shown, 'Water').locator('button.sort').press('Enter');
    expect((await rowCities(shown)).at(-1)).toBe('zurich');
    const map = shown.view.locator('svg.station-map');
    expect(await map.locator('g.station').count()).toBe(8);
    expect(await map.locator('g.station[data-city="zurich"]').count()).toBe(0);
    expect(await shown.view.locator('#map-missing').innerText()).toBe(
      'Not on the map (no position known): zurich (zurich).',
    );
    await shown.page.close();
  });

  it('follows the host into dark mode and stays readable at 360 px', async () => {
    const shown = await browser.show('compare', fixture, { theme: 'dark', width: 360 });
    await expectDarkAndNarrowFit(shown);
    // The map fits the frame.
    const mapWidth = await shown.view
      .locator('svg.station-map')
      .evaluate((svg) => svg.getBoundingClientRect().right);
    expect(mapWidth).toBeLessThanOrEqual(360);
    await photograph('compare-dark-360', shown);
    await shown.page.close();
  });
});
