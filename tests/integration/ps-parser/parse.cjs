// Syntax check of PowerShell scripts without PowerShell: parses each file
// with the tree-sitter PowerShell grammar (WebAssembly, no native build)
// and prints every ERROR or MISSING node as file:line:column. Exit 0 when
// all parse cleanly, 1 on a syntax error, 2 when the parser cannot run.
// Usage: node parse.cjs MODULES_DIR FILE...
const fs = require('fs');
const path = require('path');
const modules = process.argv[2];
const { Parser, Language } = require(path.join(modules, 'web-tree-sitter', 'tree-sitter.cjs'));
(async () => {
  await Parser.init();
  const lang = await Language.load(path.join(modules, 'tree-sitter-powershell', 'tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  let bad = 0;
  for (const file of process.argv.slice(3)) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    const walk = (n) => {
      if (n.isError || n.isMissing) {
        bad++;
        const what = n.isMissing ? 'missing ' + n.type : 'syntax error';
        console.log(`${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${what}: ${JSON.stringify(n.text.slice(0, 60))}`);
      }
      if (n.hasError) for (const c of n.children) walk(c);
    };
    walk(tree.rootNode);
  }
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
