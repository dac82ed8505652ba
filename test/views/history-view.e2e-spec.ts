import type { HistoryReport } from '../../src/aare/reports.schemas';
import {
  describeViews,
  expectDarkAndNarrowFit,
  plain,
  viewFixture,
  withReport,
} from '../support/views-browser';

describeViews('The history view in a browser', ({ browser, photograph, text }) => {
  const fixture = viewFixture('history');

  it('charts temperature and flow with their minimum, maximum and mean, and sums them up', async () => {
    const shown = await browser.show('history', fixture);
    const shownText = await text(shown);
    expect(shownText).toContain('Aare history: Bern');
    // 11:00 UTC is 13:00 in Swiss summer time.
    expect(shownText).toContain('7 May 2023, 13:00 – 9 May 2023, 13:00 (Swiss time)');
    expect(shownText).toContain('One point every 10 minutes');
    expect(shownText).not.toContain('averaged');

    // The summary table: the text alternative of both charts.
    const rows = shown.view.locator('table.summary tbody tr');
    expect(await rows.count()).toBe(2);
    expect((await rows.nth(0).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Temperature 271 11.59 °C 12.68 °C 12.12 °C 12.46 °C 12.49 °C → stable',
    );
    expect((await rows.nth(1).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Flow 273 216 m³/s 270 m³/s 249 m³/s 247 m³/s 247 m³/s → stable',
    );
    expect(await shown.view.locator('table.summary th[scope="col"]').count()).toBe(8);
    expect(await shown.view.locator('table.summary th[scope="row"]').count()).toBe(2);

    // Two charts, each an image with its numbers in words.
    const temperature = shown.view.locator('svg.chart.temperature');
    const flow = shown.view.locator('svg.chart.flow');
    expect(await temperature.getAttribute('role')).toBe('img');
    expect(await flow.getAttribute('role')).toBe('img');
    const temperatureLabel = plain(await temperature.getAttribute('aria-label'));
    expect(temperatureLabel).toContain('minimum 11.59 °C');
    expect(temperatureLabel).toContain('maximum 12.68 °C');
    expect(temperatureLabel).toContain('mean 12.12 °C');
    // The fixture's temperature series has two readings missing.
    expect(temperatureLabel).toContain('2 of 273 readings missing');
    const flowLabel = plain(await flow.getAttribute('aria-label'));
    expect(flowLabel).toContain('minimum 216 m³/s');
    expect(flowLabel).toContain('maximum 270 m³/s');
    expect(flowLabel).toContain('mean 249 m³/s');

    // The marks: a dashed mean line with its value, the extremes as labelled points.
    expect(await temperature.locator('.mean line').getAttribute('stroke')).toBe('var(--accent)');
    expect(plain(await temperature.locator('.mean text').textContent())).toBe('mean 12.12 °C');
    expect(plain(await temperature.locator('.extreme.min text').textContent())).toBe(
      'min 11.59 °C',
    );
    expect(plain(await temperature.locator('.extreme.max text').textContent())).toBe(
      'max 12.68 °C',
    );
    expect(plain(await flow.locator('.mean text').textContent())).toBe('mean 249 m³/s');
    expect(plain(await flow.locator('.extreme.min text').textContent())).toBe('min 216 m³/s');
    expect(plain(await flow.locator('.extreme.max text').textContent())).toBe('max 270 m³/s');
    const dashes = await temperature
      .locator('.mean line')
      .evaluate((line) => line.ownerDocument.defaultView!.getComputedStyle(line).strokeDasharray);
    expect(dashes).not.toBe('none');
    // The flow is drawn in the flow colour.
    expect(await flow.locator('path.line').getAttribute('stroke')).toBe('var(--flow)');

    // Axes: round values, Swiss-time ticks with the days at midnight.
    const yTicks = await temperature.locator('.grid-lines text').allTextContents();
    expect(yTicks).toEqual(['11.4', '11.6', '11.8', '12.0', '12.2', '12.4', '12.6', '12.8']);
    expect(await flow.locator('.grid-lines text').allTextContents()).toEqual([
      '210',
      '220',
      '230',
      '240',
      '250',
      '260',
      '270',
    ]);
    const xTicks = await temperature.locator('.time-ticks text').allTextContents();
    expect(xTicks).toContain('8 May');
    expect(xTicks).toContain('9 May');
    expect(xTicks).toContain('12:00');

    // The missing readings leave a gap: the temperature line has more than one sub-path.
    const path = (await temperature.locator('path.line').getAttribute('d'))!;
    expect(path.match(/M/g)!.length).toBeGreaterThan(1);
    expect((await flow.locator('path.line').getAttribute('d'))!.match(/M/g)).toHaveLength(1);
    expect(shownText).toContain('Gaps in the line: no reading.');
    expect(shownText).toContain('Data: aare.guru');
    await photograph('history-light', shown);
    await shown.page.close();
  });

  it('says when the series were averaged down', async () => {
    const shown = await browser.show(
      'history',
      withReport<HistoryReport>(fixture, (report) => {
        report.downsampled = true;
        report.granularity = { seconds: 3600, label: '1 hour' };
      }),
    );
    const note = shown.view.locator('[role="note"]');
    expect(await note.isVisible()).toBe(true);
    expect(await note.innerText()).toBe(
      'The series were averaged to one point every 1 hour to keep the answer readable.',
    );
    expect(await text(shown)).toContain('One point every 1 hour');
    await shown.page.close();
  });

  it('leaves gaps for missing values, shows dashes for missing numbers and never NaN', async () => {
    const shown = await browser.show(
      'history',
      withReport<HistoryReport>(fixture, (report) => {
        const points = report.flow.points;
        for (let i = 40; i < 80; i++) points[i].value = null;
        points[150].value = null;
        report.flow.summary.first = null;
        report.flow.summary.trend = 'unknown';
        report.source.stale = true;
      }),
    );
    const flow = shown.view.locator('svg.chart.flow');
    const path = (await flow.locator('path.line').getAttribute('d'))!;
    expect(path.match(/M/g)).toHaveLength(3);
    expect(path).not.toMatch(/NaN|undefined/);
    expect(await flow.getAttribute('aria-label')).toContain('41 of 273 readings missing');
    const row = (await shown.view.locator('table.summary tbody tr').nth(1).innerText())
      .replace(/\s+/g, ' ')
      .trim();
    expect(row).toBe('Flow 273 216 m³/s 270 m³/s 249 m³/s – 247 m³/s · trend unknown');
    expect(await shown.view.locator('.stale').innerText()).toContain('aare.guru is not answering');
    const markup = await shown.view.locator('main').evaluate((main) => main.outerHTML);
    expect(markup).not.toMatch(/NaN|null|undefined/);
    await photograph('history-gaps', shown);
    await shown.page.close();
  });

  it('says so instead of drawing a chart for an empty series', async () => {
    const shown = await browser.show(
      'history',
      withReport<HistoryReport>(fixture, (report) => {
        report.temperature.points = [];
        report.temperature.summary = {
          count: 0,
          min: null,
          max: null,
          mean: null,
          first: null,
          last: null,
          trend: 'unknown',
        };
      }),
    );
    const shownText = await text(shown);
    expect(shownText).toContain('No temperature data in this range.');
    expect(await shown.view.locator('svg.chart.temperature').count()).toBe(0);
    expect(await shown.view.locator('svg.chart.flow').count()).toBe(1);
    expect(shownText).toContain('Temperature 0 – – – – – · trend unknown');
    expect(shownText).not.toMatch(/NaN|null/);
    await shown.page.close();
  });

  it('follows the host into dark mode and stays readable at 360 px', async () => {
    const shown = await browser.show('history', fixture, { theme: 'dark', width: 360 });
    await expectDarkAndNarrowFit(shown);
    // The charts are drawn at the width they get, so their text keeps its size.
    const temperature = shown.view.locator('svg.chart.temperature');
    const drawn = await temperature.evaluate((svg) => ({
      width: svg.getBoundingClientRect().width,
      viewBox: svg.getAttribute('viewBox'),
    }));
    expect(drawn.width).toBeLessThan(360);
    expect(drawn.viewBox).toBe(`0 0 ${Math.round(drawn.width)} 220`);
    expect(plain(await temperature.getAttribute('aria-label'))).toContain('mean 12.12 °C');
    // Fewer time ticks on a narrow chart, still readable.
    expect((await temperature.locator('.time-ticks text').allTextContents()).length).toBeLessThan(
      5,
    );
    await photograph('history-dark-360', shown);
    await shown.page.close();
  });
});
