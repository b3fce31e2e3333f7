// prometheus_text.mjs - a strict reader of Prometheus' text exposition format (0.0.4), for
// tests: every line must be a HELP, a TYPE or a sample of a declared family; label values
// may only use the \\, \" and \n escapes; histograms must have cumulative buckets ending
// in le="+Inf" equal to their _count. Throws an Error naming the line otherwise.

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text, where) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value '${text}'`);
  return Number(text);
}

// {a="x",b="y"} starting at text[i] === '{'; returns [labels, index after '}'].
function parseLabels(text, i, where) {
  const labels = {};
  i += 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name '${name}'`);
    if (name in labels) throw new Error(`${where}: label '${name}' twice`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      if (j >= text.length) throw new Error(`${where}: unterminated label value`);
      const c = text[j];
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw newline in a label value`);
      if (c === '\\') {
        const n = text[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`${where}: bad escape '\\${n}' in a label value`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error(`${where}: expected ',' or '}' after a label`);
  }
  return [labels, i + 1];
}

// Returns Map(family name -> {help, type, samples: [{name, labels, value}]}).
export function parsePrometheus(text) {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map();
  const familyOf = (sampleName) => {
    if (families.has(sampleName)) return families.get(sampleName);
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (sampleName.endsWith(suffix)) {
        const f = families.get(sampleName.slice(0, -suffix.length));
        if (f && f.type === 'histogram') return f;
      }
    }
    return null;
  };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1} '${line}'`;
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (families.has(name) && families.get(name).help !== undefined) throw new Error(`${where}: HELP twice`);
      const help = sp < 0 ? '' : rest.slice(sp + 1);
      if (/\\[^\\n]/.test(help.replace(/\\\\/g, ''))) throw new Error(`${where}: bad escape in HELP`);
      families.set(name, { ...(families.get(name) ?? { samples: [] }), help });
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ');
      if (!NAME.test(name) || extra !== undefined) throw new Error(`${where}: bad TYPE line`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type)) throw new Error(`${where}: bad type`);
      const f = families.get(name) ?? { samples: [] };
      if (f.type) throw new Error(`${where}: TYPE twice`);
      if (f.samples.length) throw new Error(`${where}: TYPE after samples`);
      families.set(name, { ...f, type });
      return;
    }
    if (line.startsWith('#')) return;  // a comment
    if (line.trim() === '') throw new Error(`${where}: empty line`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!m) throw new Error(`${where}: bad sample name`);
    const name = m[1];
    let i = name.length;
    let labels = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2) throw new Error(`${where}: trailing text`);
    const value = parseValue(parts[0], where);
    const f = familyOf(name);
    if (!f || !f.type) throw new Error(`${where}: sample of an undeclared family`);
    if (f.type === 'counter' && (value < 0 || Number.isNaN(value))) throw new Error(`${where}: negative counter`);
    f.samples.push({ name, labels, value });
  });
  for (const [name, f] of families) if (f.type === 'histogram') checkHistogram(name, f);
  return families;
}

function checkHistogram(name, f) {
  const series = new Map();
  const key = (labels) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  for (const s of f.samples) {
    const k = key(s.labels);
    if (!series.has(k)) series.set(k, { buckets: [], sum: undefined, count: undefined });
    const e = series.get(k);
    if (s.name === `${name}_bucket`) {
      if (!('le' in s.labels)) throw new Error(`${name}: a bucket without le`);
      e.buckets.push([parseValue(s.labels.le, name), s.value]);
    } else if (s.name === `${name}_sum`) e.sum = s.value;
    else if (s.name === `${name}_count`) e.count = s.value;
    else throw new Error(`${name}: unexpected sample ${s.name}`);
  }
  for (const [k, e] of series) {
    if (e.count === undefined || e.sum === undefined) throw new Error(`${name}${k}: missing _sum or _count`);
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0]);
    if (!sorted.length || sorted.at(-1)[0] !== Infinity) throw new Error(`${name}${k}: no le="+Inf" bucket`);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${name}${k}: buckets not cumulative`);
    }
    if (sorted.at(-1)[1] !== e.count) throw new Error(`${name}${k}: +Inf bucket ${sorted.at(-1)[1]} != _count ${e.count}`);
  }
}

// The samples named `name` whose labels include `match`.
export function samples(families, name, match = {}) {
  const out = [];
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) out.push(s);
    }
  }
  return out;
}

// The one sample's value (0 when there is none; an error when several match).
export function value(families, name, match = {}) {
  const found = samples(families, name, match);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(match)}: ${found.length} samples match`);
  return found.length ? found[0].value : 0;
}
