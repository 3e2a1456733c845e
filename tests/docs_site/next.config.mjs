import { createMDX } from 'fumadocs-mdx/next';

const withMDX = createMDX();

/** @type {import('next').NextConfig} */
const config = {
  reactStrictMode: true,
  // The test builds a copy of this folder whose node_modules is linked to this one's.
  turbopack: { root: process.env.DOCS_SITE_ROOT || undefined },
};

export default withMDX(config);
