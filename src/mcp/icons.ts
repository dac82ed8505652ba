import type { Icon } from '@modelcontextprotocol/server';

/**
 * Icons for the server, its tools, prompts and resources (the `icons` field, protocol revision
 * 2025-11-25). Each glyph is an inline SVG data URI, so a client shows it without fetching
 * anything, and it comes in two colours: `light` is drawn for a light background, `dark` for a
 * dark one. The SVGs are plain strokes: no script, no external reference.
 */

const GLYPHS = {
  /** Two waves: the river. */
  wave: 'M2 9c2.5-2 4.5-2 7 0s4.5 2 7 0 4-2 6 0M2 15c2.5-2 4.5-2 7 0s4.5 2 7 0 4-2 6 0',
  /** A thermometer: water temperature. */
  thermometer: 'M10 4a2 2 0 0 1 4 0v10a4 4 0 1 1-4 0zM12 9v7',
  /** A drop: flow and its danger level. */
  drop: 'M12 3c3.5 4.5 6 8 6 11a6 6 0 0 1-12 0c0-3 2.5-6.5 6-11z',
} as const;

export type Glyph = keyof typeof GLYPHS;

/** Stroke colours with enough contrast on each background. */
const THEME_COLOURS = { light: '#0b5d8f', dark: '#8fd3ff' } as const;

function svgDataUri(path: string, colour: string): string {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="${colour}" ` +
    `stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="${path}"/></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

function iconsOf(glyph: Glyph): Icon[] {
  return (Object.keys(THEME_COLOURS) as (keyof typeof THEME_COLOURS)[]).map((theme) => ({
    src: svgDataUri(GLYPHS[glyph], THEME_COLOURS[theme]),
    mimeType: 'image/svg+xml',
    sizes: ['any'],
    theme,
  }));
}

/** Built once: every server, tool, prompt and resource shares these arrays. */
export const ICONS: Readonly<Record<Glyph, Icon[]>> = {
  wave: iconsOf('wave'),
  thermometer: iconsOf('thermometer'),
  drop: iconsOf('drop'),
};

export const SERVER_ICONS = ICONS.wave;

/** Each tool's glyph by what it answers; a tool not named here shows the river. */
const TOOL_GLYPHS: Readonly<Record<string, Glyph>> = {
  get_current_temperature: 'thermometer',
  get_current_conditions: 'wave',
  list_cities: 'wave',
  get_flow_danger_level: 'drop',
  get_historical_data: 'thermometer',
  compare_cities: 'wave',
  get_forecast: 'thermometer',
};

export function toolIcons(toolName: string): Icon[] {
  return ICONS[TOOL_GLYPHS[toolName] ?? 'wave'];
}
