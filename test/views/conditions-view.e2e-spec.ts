import { describeViews, viewFixture } from '../support/views-browser';

describeViews('The current conditions view in a browser', ({ browser, photograph, text }) => {
  const fixture = viewFixture('conditions');

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

  it('follows the host into dark mode and stays readable at 360 px', async () => {
    const shown = await browser.show('conditions', fixture, { theme: 'dark', width: 360 });
    expect(await shown.view.locator('html').getAttribute('data-theme')).toBe('dark');
    const background = await shown.view
      .locator('body')
      .evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).backgroundColor);
    expect(background).toBe('rgb(18, 24, 29)');
    // Nothing wider than the frame: no sideways scrolling at 360 px.
    const overflow = await shown.view
      .locator('html')
      .evaluate((html) => html.scrollWidth - html.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
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

  it('shows the text when a client passes on no structured content', async () => {
    const shown = await browser.show('conditions', {
      arguments: fixture.arguments,
      result: { content: fixture.result.content },
    });
    const [block] = fixture.result.content as { text: string }[];
    expect(await shown.view.locator('main pre').innerText()).toBe(block.text);
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
