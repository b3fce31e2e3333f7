// charts.mjs - grouped bar charts as SVG, without a charting library.
const COLORS = { drover: '#2b6cb0', 'drover-own': '#63b3ed', bullmq: '#c53030', bee: '#d69e2e', express: '#38a169' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (!Number.isFinite(v) ? 'n/a' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v >= 10 ? 1 : 2));

// groups: [{label, values: {system: number}}]; one bar per system in each group.
export function barChart({ title, unit, groups, systems }) {
  const width = 760;
  const height = 360;
  const left = 70;
  const top = 40;
  const bottom = 60;
  const plotH = height - top - bottom;
  const plotW = width - left - 20;
  const max = Math.max(1e-9, ...groups.flatMap((g) => systems.map((s) => g.values[s] ?? 0).filter(Number.isFinite)));
  const groupW = plotW / groups.length;
  const barW = Math.min(40, (groupW * 0.8) / systems.length);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`,
  ];
  for (let i = 0; i <= 4; ++i) {
    const y = top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${fmt((max * i) / 4)}</text>`);
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + (groupW - barW * systems.length) / 2;
    systems.forEach((s, si) => {
      const v = g.values[s];
      const h = Number.isFinite(v) ? (plotH * v) / max : 0;
      const x = gx + si * barW;
      parts.push(`<rect x="${x}" y="${top + plotH - h}" width="${barW - 2}" height="${h}" fill="${COLORS[s] ?? '#888'}"/>`);
      parts.push(`<text x="${x + barW / 2 - 1}" y="${top + plotH - h - 3}" text-anchor="middle" font-size="9">${fmt(v)}</text>`);
    });
    parts.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(g.label)}</text>`);
  });
  systems.forEach((s, si) => {
    const x = left + si * 120;
    parts.push(`<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${COLORS[s] ?? '#888'}"/>`);
    parts.push(`<text x="${x + 16}" y="${height - 12}">${esc(s)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
