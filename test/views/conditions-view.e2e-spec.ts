import type { ConditionsReport } from '../../src/aare/reports.schemas';
import {
  describeViews,
  viewFixture,
  expectDarkAndNarrowFit,
  withReport,
} from '../support/views-browser';

describeViews('The current conditions view in a browser', ({ browser, photograph, text }) => {
  const fixture = viewFixture('conditions');

  const variant = (change: (report: ConditionsReport) => void) =>
    withReport<ConditionsReport>(fixture, change);

  it('shows the temperature with its phrase, the flow, the BAFU scale, weather and sun', async () => {
    const shown = await browser.show('conditions', fixture);
    const shownText = await text(shown);
    expect(shownText).toContain('The Aare at Bärn');
    expect(shownText).toContain('12.5 °C');
    expect(shownText).toContain('«Uschaflig chaut» (awfully cold)');
    expect(shownText).toContain('247 m³/s');
    expect(shownText).toContain('«ender viu» (rather a lot)');
    expect(shownText).toContain('Level 1: no or low danger');
    // The scale: five steps, the current one marked, each with the flow it starts at.
    expect(await shown.view.locator('.scale .step').count()).toBe(5);
    expect(await shown.view.locator('.scale .step[aria-current="true"]').innerText()).toMatch(/^1/);
    expect(shownText).toMatch(/≥ 100.*≥ 220.*≥ 300.*≥ 430/);
    expect(shownText).toContain('«e gutsch» (a downpour)');
    expect(shownText).toContain('Eichholz');
    expect(shownText).toContain('sunset 18:11');
    expect(shownText).toContain('Data: aare.guru');
    await photograph('conditions-light', shown);
    await shown.page.close();
  });

  it("does not pass BAFU's own level off as the flow thresholds, and says when it computed one", async () => {
    const bafu = await browser.show(
      'conditions',
      variant((r) => {
        r.water.flow = 320;
        r.danger = { level: 2, label: 'moderate danger', source: 'upstream' };
      }),
    );
    expect(await text(bafu)).toContain(
      "The level is BAFU's own for this station. The flows under the steps (m³/s, Bern's scale) are used only where aare.guru gives no level.",
    );
    await bafu.page.close();
    const computed = await browser.show(
      'conditions',
      variant((r) => {
        r.water.flow = 320;
        r.danger = { level: 4, label: 'high danger', source: 'computed' };
      }),
    );
    expect(await text(computed)).toContain('Level 4: high danger');
    expect(await text(computed)).toContain('it is computed from the flow');
    await computed.page.close();
  });

  it('shows upstream text as text, never as markup', async () => {
    const shown = await browser.show(
      'conditions',
      variant((r) => {
        r.name = '<b>Bärn</b>';
        r.water.text = '<img src=x onerror="document.title=1">';
        r.sun.spots[0].name = '<script>document.title=2</script>';
      }),
    );
    const shownText = await text(shown);
    expect(shownText).toContain('The Aare at <b>Bärn</b>');
    expect(shownText).toContain('«<img src=x onerror="document.title=1">»');
    expect(shownText).toContain('<script>document.title=2</script>');
    expect(await shown.view.locator('main img, main b, main script').count()).toBe(0);
    expect(await shown.view.locator('html').evaluate((html) => html.ownerDocument.title)).toBe(
      'Current conditions at the Aare',
    );
    await shown.page.close();
  });

  it('ignores messages from any window but its host', async () => {
    const shown = await browser.show('conditions', fixture);
    // A message to the view from itself (not from its parent), dressed as a tool result.
    await shown.view.locator('html').evaluate((html) =>
      html.ownerDocument.defaultView!.postMessage(
        {
          jsonrpc: '2.0',
          method: 'ui/notifications/tool-result',
          params: { isError: true, content: [{ type: 'text', text: 'forged' }] },
        },
        '*',
      ),
    );
    // Messages arrive in order: once the host's next one is handled, the forged one was too.
    await shown.page.evaluate(() =>
      (globalThis as unknown as { setHostTheme(t: string): void }).setHostTheme('dark'),
    );
    await shown.view.locator('html[data-theme="dark"]').waitFor();
    expect(await text(shown)).toContain('The Aare at Bärn');
    expect(await shown.view.locator('[role="alert"]').count()).toBe(0);
    await shown.page.close();
  });

  it('asks for less room when a shorter result follows', async () => {
    const shown = await browser.show('conditions', fixture);
    const frameHeight = () =>
      shown.page.locator('iframe').evaluate((f) => f.getBoundingClientRect().height);
    const tall = await frameHeight();
    await shown.page.evaluate(() =>
      (
        globalThis as unknown as { sendHostToolResult(r: unknown): Promise<void> }
      ).sendHostToolResult({
        isError: true,
        content: [{ type: 'text', text: 'aare.guru did not answer in time.' }],
      }),
    );
    await shown.view.locator('[role="alert"]').waitFor();
    await browser.untilSized(shown.page, shown.view);
    expect(tall).toBeGreaterThan(600);
    expect(await frameHeight()).toBeLessThan(120);
    await shown.page.close();
  });

  it('shows the text when the data are of a shape it does not know', async () => {
    const shown = await browser.show('conditions', {
      arguments: fixture.arguments,
      result: { ...fixture.result, structuredContent: { city: 'bern' } },
    });
    const [block] = fixture.result.content as { text: string }[];
    expect(await shown.view.locator('main pre').innerText()).toBe(block.text);
    await shown.page.close();
  });

  it('follows the host into dark mode and stays readable at 360 px', async () => {
    const shown = await browser.show('conditions', fixture, { theme: 'dark', width: 360 });
    await expectDarkAndNarrowFit(shown);
    await photograph('conditions-dark-360', shown);
    await shown.page.close();
  });

  it('changes theme when the host does', async () => {
    const shown = await browser.show('conditions', fixture, { theme: 'light' });
    const theme = () => shown.view.locator('html').getAttribute('data-theme');
    expect(await theme()).toBe('light');
    await shown.page.evaluate(() =>
      (globalThis as unknown as { setHostTheme(t: string): void }).setHostTheme('dark'),
    );
    await shown.view.locator('html[data-theme="dark"]').waitFor();
    expect(await theme()).toBe('dark');
    await shown.page.close();
  });

  it('shows the text when a client passes on no structured content, wrapped at 360 px', async () => {
    const shown = await browser.show(
      'conditions',
      { arguments: fixture.arguments, result: { content: fixture.result.content } },
      { width: 360 },
    );
    const [block] = fixture.result.content as { text: string }[];
    expect(await shown.view.locator('main pre').innerText()).toBe(block.text);
    const overflow = await shown.view
      .locator('html')
      .evaluate((html) => html.scrollWidth - html.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shown.page.close();
  });

  it("shows the tool's own message when the call failed", async () => {
    const shown = await browser.show('conditions', {
      arguments: { city: 'zurich' },
      result: {
        isError: true,
        content: [{ type: 'text', text: 'Unknown city "zurich". Valid city ids: bern, thun.' }],
      },
    });
    expect(await shown.view.locator('[role="alert"]').innerText()).toBe(
      'Unknown city "zurich". Valid city ids: bern, thun.',
    );
    await shown.page.close();
  });
});
