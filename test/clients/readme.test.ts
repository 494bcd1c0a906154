/**
 * The README's frontend section is what the client suite runs: each code block it marks with
 * `<!-- clients/<file>#<region> -->` is, character for character, the `// #region <region>` of that file
 * (which test/clients/*.test.ts import and run), and every such region is in the README.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function regionsOf(file: string): Map<string, string> {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return new Map([...text.matchAll(/\/\/ #region (\S+)\n([\s\S]*?)\/\/ #endregion \1/g)].map((m) => [m[1]!, m[2]!.trimEnd()]));
}

const blocks = [...readme.matchAll(/<!-- (clients\/[\w.-]+)#(\S+) -->\n```ts\n([\s\S]*?)\n```/g)].map((m) => ({ file: m[1]!, region: m[2]!, code: m[3]! }));

it('has a frontend section with the setups for Apollo Client, urql and graphql-request', () => {
  expect(readme).toMatch(/## Using it from a frontend or mobile app/);
  expect(blocks.map((b) => b.region)).toEqual(expect.arrayContaining(['readme-apollo', 'readme-apollo-apq', 'readme-apollo-batch', 'readme-urql', 'readme-graphql-request']));
  for (const words of [/apollo-require-preflight/, /x-apollo-operation-name/, /Content-Type: application\/json/]) expect(readme).toMatch(words);
});

it("shows each client's code exactly as clients/ has it", () => {
  for (const b of blocks) expect({ at: `${b.file}#${b.region}`, code: b.code }).toEqual({ at: `${b.file}#${b.region}`, code: regionsOf(b.file).get(b.region) });
});

it('shows every readme region of clients/', () => {
  const shown = new Set(blocks.map((b) => `${b.file}#${b.region}`));
  for (const file of readdirSync(path.join(ROOT, 'clients')).filter((f) => f.endsWith('.ts'))) {
    for (const region of regionsOf(`clients/${file}`).keys()) expect(shown).toContain(`clients/${file}#${region}`);
  }
});
