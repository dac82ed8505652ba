import type { ForecastReport } from '../../src/aare/reports.schemas';
import {
  describeViews,
  viewFixture,
  expectDarkAndNarrowFit,
  withReport,
} from '../support/views-browser';

describeViews('The forecast view in a browser', ({ browser, photograph, text }) => {
  const fixture = viewFixture('forecast');

  const variant = (change: (report: ForecastReport) => void) =>
    withReport<ForecastReport>(fixture, change);

  it('shows the water now and in 2 hours with the trend and phrase, today and the coming days', async () => {
    const shown = await browser.show('forecast', fixture);
    const shownText = await text(shown);
    expect(shownText).toContain('Aare forecast for Bärn');
    expect(shownText).toContain('Water measured 9 May 2023, 13:20 (Swiss time)');
    expect(shownText).toContain('Now 12.5 °C → 12.7 °C in 2 hours');
    expect(shownText).toContain('Trend: stable');
    expect(await shown.view.locator('.trend-arrow').innerText()).toBe('→');
    expect(shownText).toContain('«Blibt äuä öpe glich» (will probably stay about the same)');

    // Today by period: sky, air, rain risk and amount.
    const today = shown.view.locator('#today-title + .scroll tbody tr');
    expect(await today.count()).toBe(3);
    expect((await today.nth(0).innerText()).replace(/\s+/g, ' ')).toBe(
      'Morning «bewöukt» (cloudy) 16 °C 0 % 0.0 mm',
    );
    expect((await today.nth(1).innerText()).replace(/\s+/g, ' ')).toBe(
      'Afternoon «e gutsch» (a downpour) 17 °C 90 % 2.0 mm',
    );
    expect((await today.nth(2).innerText()).replace(/\s+/g, ' ')).toBe(
      'Evening «starche räge» (heavy rain) 15 °C 90 % 13.0 mm',
    );

    // The coming days: names in English and Swiss German, date, sky, min to max, rain.
    const days = shown.view.locator('#days-title + .scroll tbody tr');
    expect(await days.count()).toBe(4);
    const expected = [
      ['Wednesday', 'Mitwuch · 10 May', '«e gutsch» (a downpour)', '10 to 14 °C', '90 %', '5.0 mm'],
      ['Thursday', 'Donschti · 11 May', '«e gutsch» (a downpour)', '5 to 14 °C', '70 %', '2.0 mm'],
      ['Friday', 'Friti · 12 May', '«e gutsch» (a downpour)', '7 to 13 °C', '70 %', '2.0 mm'],
      ['Saturday', 'Samschti · 13 May', '«bewöukt» (cloudy)', '7 to 15 °C', '30 %', '1.0 mm'],
    ];
    for (const [i, [name, swiss, sky, range, risk, rain]] of expected.entries()) {
      expect((await days.nth(i).innerText()).replace(/\s+/g, ' ')).toBe(
        `${name} ${swiss} ${sky} ${range} ${risk} ${rain}`,
      );
    }
    // The bars share one scale, 5 to 15 °C: Wednesday runs from half way to 90 %.
    const bars = shown.view.locator('#days-title + .scroll tbody .bar');
    expect(await bars.count()).toBe(4);
    const extents = [];
    for (let i = 0; i < 4; i++) {
      extents.push([await bars.nth(i).getAttribute('x'), await bars.nth(i).getAttribute('width')]);
    }
    expect(extents).toEqual([
      ['50%', '40%'],
      ['0%', '90%'],
      ['20%', '60%'],
      ['20%', '80%'],
    ]);
    expect(
      await shown.view
        .locator('#days-title + .scroll tbody svg')
        .first()
        .getAttribute('aria-label'),
    ).toBe('Wednesday: 10 to 14 °C, on a scale from 5 to 15 °C');
    expect(shownText).toContain('all on one scale from 5 °C to 15 °C, notched every 5 °C');
    // One notch inside the scale, at 10 °C, in every day's track.
    const notches = await shown.view
      .locator('#days-title + .scroll tbody .notch')
      .evaluateAll((lines) => lines.map((line) => line.getAttribute('x1')));
    expect(notches).toEqual(['50%', '50%', '50%', '50%']);

    // Sunshine per day: total and share of the possible.
    const sun = shown.view.locator('#sun-title + .scroll tbody tr');
    expect(await sun.count()).toBe(5);
    expect((await sun.nth(0).innerText()).replace(/\s+/g, ' ').trim()).toBe('Today 3:20 h 23 %');
    expect((await sun.nth(4).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Saturday Samschti 4:16 h 29 %',
    );

    expect(shownText).not.toMatch(/NaN|null|undefined/);
    expect(await shown.view.locator('.stale').count()).toBe(0);
    expect(shownText).toContain('Data: aare.guru');
    await photograph('forecast-light', shown);
    await shown.page.close();
  });

  it('shows a dash for what upstream left out, and says when the data are old', async () => {
    const shown = await browser.show(
      'forecast',
      variant((r) => {
        r.water.in2h = null;
        r.water.trend = 'unknown';
        r.water.text = null;
        r.water.textEnglish = null;
        r.weatherToday.evening = null;
        r.weatherToday.morning!.airTemperature = null;
        const thursday = r.nextDays[1];
        thursday.airTemperatureMin = null;
        thursday.airTemperatureMax = null;
        thursday.precipitationMm = null;
        thursday.precipitationRiskPercent = null;
        r.nextDays[2].airTemperatureMin = null;
        r.sunshine[1].total = null;
        r.sunshine[1].relativePercent = null;
        r.source.stale = true;
      }),
    );
    const shownText = await text(shown);
    expect(shownText).toContain('Now 12.5 °C · – in 2 hours');
    expect(shownText).toContain('Trend unknown');
    expect(await shown.view.locator('.stale').innerText()).toContain(
      'aare.guru is not answering: these are the last data received (9 May 2023, 13:20).',
    );

    const today = shown.view.locator('#today-title + .scroll tbody tr');
    expect((await today.nth(0).innerText()).replace(/\s+/g, ' ')).toBe(
      'Morning «bewöukt» (cloudy) – 0 % 0.0 mm',
    );
    expect((await today.nth(2).innerText()).replace(/\s+/g, ' ')).toBe('Evening – – – –');

    const days = shown.view.locator('#days-title + .scroll tbody tr');
    // Thursday has no temperatures: a dash and no bar; Friday only its maximum: a mark.
    expect((await days.nth(1).innerText()).replace(/\s+/g, ' ')).toBe(
      'Thursday Donschti · 11 May «e gutsch» (a downpour) – – –',
    );
    expect(await days.nth(1).locator('svg').count()).toBe(0);
    expect((await days.nth(2).innerText()).replace(/\s+/g, ' ')).toContain('max 13 °C');
    // The shared scale no longer reaches Thursday's 5 °C: 7 to 15 °C in whole steps of 2.
    expect(await days.nth(0).locator('svg').getAttribute('aria-label')).toBe(
      'Wednesday: 10 to 14 °C, on a scale from 6 to 16 °C',
    );
    expect(await days.nth(2).locator('circle.bar').getAttribute('cx')).toBe('70%');

    const sun = shown.view.locator('#sun-title + .scroll tbody tr');
    expect((await sun.nth(1).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Wednesday Mitwuch – –',
    );
    expect(await sun.nth(1).locator('svg').count()).toBe(0);

    expect(shownText).not.toMatch(/NaN|null|undefined/);
    await shown.page.close();
  });

  it('follows the host into dark mode and stays readable at 360 px', async () => {
    const shown = await browser.show('forecast', fixture, { theme: 'dark', width: 360 });
    await expectDarkAndNarrowFit(shown);
    const tablesOverflow = await shown.view
      .locator('.scroll')
      .evaluateAll((wrappers) => wrappers.map((w) => w.scrollWidth - w.clientWidth));
    expect(tablesOverflow).toEqual([0, 0, 0]);
    // The bars are drawn in the dark palette's accent.
    const barFill = await shown.view
      .locator('.bar')
      .first()
      .evaluate((bar) => bar.ownerDocument.defaultView!.getComputedStyle(bar).fill);
    expect(barFill).toBe('rgb(143, 211, 255)');
    await photograph('forecast-dark-360', shown);
    await shown.page.close();
  });
});
