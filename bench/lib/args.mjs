// args.mjs - "--name value", "--name=value" and "--flag" command-line options into an
// object ("--name=value" for a value that itself starts with "--").
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; ++i) {
    if (!argv[i].startsWith('--')) continue;
    const key = argv[i].slice(2);
    const eq = key.indexOf('=');
    if (eq > 0) {
      out[key.slice(0, eq)] = key.slice(eq + 1);
      continue;
    }
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[key] = argv[++i];
    else out[key] = true;
  }
  return out;
}
