// The CSL reference processor (citeproc-js, the one Zotero uses) on a style, CSL-JSON items
// and citations in order: prints {"citations": [...], "entries": [...]} as plain text.
// usage: node citeproc_js.js STYLE.csl ITEMS.json CITATIONS.json   (NODE_PATH: its node_modules)
const fs = require("fs");
const CSL = require("citeproc");
const locales = require("@citation-js/plugin-csl/lib/locales.json");
const [style, itemsFile, citationsFile] = process.argv.slice(2);
const items = Object.fromEntries(JSON.parse(fs.readFileSync(itemsFile, "utf8")).map((i) => [i.id, i]));
const engine = new CSL.Engine(
  { retrieveLocale: () => locales["en-US"], retrieveItem: (id) => items[id] },
  fs.readFileSync(style, "utf8"),
);
const clusters = JSON.parse(fs.readFileSync(citationsFile, "utf8")).map((cites, i) => ({
  citationID: `c${i}`,
  citationItems: cites,
  properties: { noteIndex: 0 },
}));
engine.setOutputFormat("text");
const done = engine.rebuildProcessorState(clusters, "text");
const [, entries] = engine.makeBibliography();
process.stdout.write(
  JSON.stringify({ citations: done.map((d) => d[2]), entries: entries.map((e) => e.trim()) }),
);
