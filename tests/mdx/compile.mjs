// Compiles docs pages with the real MDX compiler, as the docs site would (GFM tables and YAML
// frontmatter on), and reports for each page what the tests check.
//
// stdin:  {"pages": [{"name": "...", "source": "..."}, ...]}
// stdout: {"node": "v20...", "mdx": "3.1.1", "results": [{"name", "ok", "error", "frontmatter",
//          "text", "mdx_nodes"}, ...]}
//   frontmatter  the YAML block's raw text, or null
//   text         every text node of the compiled page, in order, joined: what a reader sees
//   mdx_nodes    MDX constructs found (JSX, expressions, import/export): generated pages must
//                have none, so a value can never turn into code
//   headings     [{depth, text, markup}]: markup lists the node types inside a heading other
//                than plain text (link, inlineCode, emphasis, ...); the docs site makes each
//                heading a link, so a generated heading must have none
// Many pages go through one process: starting node costs more than compiling a page.
import {readFileSync} from 'node:fs'
import {compile} from '@mdx-js/mdx'
import remarkFrontmatter from 'remark-frontmatter'
import remarkGfm from 'remark-gfm'

const MDX_TYPES = new Set([
  'mdxjsEsm', 'mdxFlowExpression', 'mdxTextExpression', 'mdxJsxFlowElement', 'mdxJsxTextElement'
])

function walk(node, visit) {
  visit(node)
  for (const child of node.children || []) walk(child, visit)
}

async function check(page) {
  const seen = {frontmatter: null, mdx_nodes: [], text: '', headings: []}
  const inspectMdast = () => (tree) => {
    walk(tree, (node) => {
      if (node.type === 'yaml') seen.frontmatter = node.value
      if (MDX_TYPES.has(node.type)) seen.mdx_nodes.push(node.type)
      if (node.type === 'heading') {
        const heading = {depth: node.depth, text: '', markup: []}
        for (const child of node.children) {
          walk(child, (inner) => {
            if (inner.type === 'text') heading.text += inner.value
            else heading.markup.push(inner.type)
          })
        }
        seen.headings.push(heading)
      }
    })
  }
  const collectText = () => (tree) => {
    const parts = []
    walk(tree, (node) => {
      if (node.type === 'text') parts.push(node.value)
    })
    seen.text = parts.join('')
  }
  try {
    await compile(page.source, {
      remarkPlugins: [[remarkFrontmatter, ['yaml']], remarkGfm, inspectMdast],
      rehypePlugins: [collectText]
    })
    return {name: page.name, ok: true, error: null, ...seen}
  } catch (error) {
    const where = error.place && error.place.line ? ` (line ${error.place.line}:${error.place.column})` : ''
    return {name: page.name, ok: false, error: `${error.reason || error.message}${where}`, ...seen}
  }
}

const input = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const page of input.pages) results.push(await check(page))
const mdx = JSON.parse(readFileSync(new URL('node_modules/@mdx-js/mdx/package.json', import.meta.url), 'utf8')).version
process.stdout.write(JSON.stringify({node: process.version, mdx, results}))
