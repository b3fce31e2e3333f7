// pdf_maker.mjs - writes small, valid PDFs for the e2e tests (our own minimal writer:
// Helvetica text lines per page, an optional title, an exact cross-reference table),
// and encrypts one with qpdf (a test dependency) when asked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const pdfString = (s) => `(${s.replace(/[()\\]/g, (c) => `\\${c}`)})`;

// pages: an array of arrays of ASCII lines. Returns a Buffer.
export function makePdf(pages, title) {
  const n = pages.length;
  const font = 3 + 2 * n;
  const info = font + 1;
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>'];
  const kids = pages.map((_, i) => `${3 + 2 * i} 0 R`).join(' ');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${n} >>`);
  pages.forEach((lines, i) => {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + 2 * i} 0 R ` +
      `/Resources << /Font << /F1 ${font} 0 R >> >> >>`);
    const content = `BT /F1 12 Tf 16 TL 72 740 Td\n${lines.map((l) => `${pdfString(l)} Tj T*\n`).join('')}ET\n`;
    objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
  });
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  objects.push(title ? `<< /Title ${pdfString(title)} >>` : '<< >>');
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, k) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${k + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) pdf += `${String(off).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${info} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

// The PDF encrypted (AES-256) with a user password, so that it cannot be opened without it.
export function encryptPdf(pdf) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-pdf-'));
  try {
    writeFileSync(path.join(dir, 'plain.pdf'), pdf);
    execFileSync('qpdf', ['--encrypt', 'user-secret', 'owner-secret', '256', '--',
      path.join(dir, 'plain.pdf'), path.join(dir, 'locked.pdf')]);
    return readFileSync(path.join(dir, 'locked.pdf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
