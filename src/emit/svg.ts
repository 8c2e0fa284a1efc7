import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CompileResult, PlanResult } from '../compile.js';
import { compareDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { libraryMessage } from '../diagnostics/quote.js';

/**
 * --svg: every plan's Mermaid timeline drawn to timeline.svg beside report.md, and linked from
 * the report, by @mermaid-js/mermaid-cli in one headless Chromium for the whole build (a page
 * per diagram, a few at a time). migc never downloads a browser: it uses the system's.
 */

/** Where a browser is looked for, after $MIGC_CHROMIUM and $PUPPETEER_EXECUTABLE_PATH. */
export const browserCandidates: readonly string[] = [
  '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium', '/usr/local/bin/chromium', '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

const installHelp = 'Install Chromium or Chrome (apt-get install chromium; brew install --cask chromium) or set MIGC_CHROMIUM to its executable, and the renderer without a browser download: PUPPETEER_SKIP_DOWNLOAD=1 npm install --save-dev @mermaid-js/mermaid-cli@11 puppeteer@23. Or build without --svg.';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The browser to draw with: $MIGC_CHROMIUM, $PUPPETEER_EXECUTABLE_PATH, then the usual places. */
export function findBrowser(env: NodeJS.ProcessEnv): { ok: true; path: string } | { ok: false; message: string } {
  for (const name of ['MIGC_CHROMIUM', 'PUPPETEER_EXECUTABLE_PATH'] as const) {
    const given = env[name];
    if (!given) continue;
    return executable(given) ? { ok: true, path: given } : { ok: false, message: `--svg: ${name}=${given} is not an executable file` };
  }
  const found = browserCandidates.find(executable);
  return found ? { ok: true, path: found } : { ok: false, message: `--svg needs Chromium or Chrome: none found at $MIGC_CHROMIUM, $PUPPETEER_EXECUTABLE_PATH, ${browserCandidates.slice(0, 4).join(', ')}, ...` };
}

export interface DiagramRenderer {
  /** An SVG document, or why Mermaid refused the diagram. */
  render(definition: string): Promise<{ ok: true; svg: string } | { ok: false; message: string }>;
  close(): Promise<void>;
}

/** Pages drawing at once in the one browser. */
const parallelPages = 2;

/**
 * Starts the browser once. A missing browser or renderer package is a result (MG055), not a
 * throw: the CLI reports it in the --format asked for, with what to install.
 */
export async function openRenderer(env: NodeJS.ProcessEnv = process.env): Promise<{ ok: true; renderer: DiagramRenderer } | { ok: false; problem: Diagnostic }> {
  const fail = (message: string) => ({ ok: false as const, problem: { code: 'MG055', severity: 'error' as const, file: '', message, help: installHelp } });
  const browserPath = findBrowser(env);
  if (!browserPath.ok) return fail(browserPath.message);
  // mermaid-cli brings the page (its dist/index.html: fonts and icon styles) and Mermaid itself.
  let cliPage: string;
  let mermaidScript: string;
  let launch: typeof import('puppeteer').launch;
  try {
    // Awaited: in the CLI's bundle (CommonJS) import.meta.resolve answers with a promise (bin/load-cli.js).
    const cliEntry = await import.meta.resolve('@mermaid-js/mermaid-cli');
    cliPage = new URL('../dist/index.html', cliEntry).href;
    mermaidScript = createRequire(cliEntry).resolve('mermaid/dist/mermaid.min.js');
    ({ launch } = await import('puppeteer'));
  } catch (e) {
    return fail(`--svg needs the optional packages @mermaid-js/mermaid-cli and puppeteer, and they cannot be loaded (${libraryMessage((e as Error).message)})`);
  }
  let browser: Awaited<ReturnType<typeof launch>>;
  try {
    browser = await launch({
      executablePath: browserPath.path,
      headless: true,
      // As root Chromium refuses to start without --no-sandbox; the rest keep it from calling out.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  } catch (e) {
    return fail(`--svg cannot start ${browserPath.path}: ${libraryMessage((e as Error).message)}`);
  }
  type Page = Awaited<ReturnType<typeof browser.newPage>>;
  /**
   * A page with Mermaid loaded, kept for the next diagram: loading Mermaid (3.5 MB of script)
   * is most of the cost of a drawing, and mmdc (or renderMermaid) pays it for every diagram.
   */
  const openPage = async (): Promise<Page> => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 800, deviceScaleFactor: 1 });
    await page.goto(cliPage);
    await page.addScriptTag({ path: mermaidScript });
    await page.evaluate(() => {
      (globalThis as unknown as { mermaid: { initialize(c: object): void } }).mermaid.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict' });
    });
    return page;
  };
  const idle: Page[] = [];
  let opened = 0;
  const waiting: ((page: Page) => void)[] = [];
  const acquire = async (): Promise<Page> => {
    const page = idle.pop();
    if (page) return page;
    if (opened < parallelPages) {
      opened++;
      return openPage();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (page: Page) => {
    const next = waiting.shift();
    if (next) next(page);
    else idle.push(page);
  };
  return {
    ok: true,
    renderer: {
      async render(definition) {
        const page = await acquire();
        try {
          const svg = await page.$eval('#container', async (container, text) => {
            const { mermaid } = globalThis as unknown as { mermaid: { render(id: string, text: string, into: unknown): Promise<{ svg: string }> } };
            container.innerHTML = '';
            const drawn = await mermaid.render('migc-timeline', text, container);
            container.innerHTML = drawn.svg;
            const element = container.getElementsByTagName('svg')[0]!;
            // White behind the chart, as mmdc draws it: readable on a dark page too.
            element.style.backgroundColor = 'white';
            const { XMLSerializer } = globalThis as unknown as { XMLSerializer: new () => { serializeToString(node: unknown): string } };
            return new XMLSerializer().serializeToString(element);
          }, definition);
          return { ok: true, svg: `<?xml version="1.0" encoding="UTF-8"?>\n${svg.trimEnd()}\n` };
        } catch (e) {
          return { ok: false, message: libraryMessage((e as Error).message) };
        } finally {
          release(page);
        }
      },
      close: () => browser.close(),
    },
  };
}

const timelineLink = '![The plan\'s timeline as an image](timeline.svg)';

/**
 * The build's results with each ready plan's timeline.svg added and linked from report.md,
 * right after the Mermaid block (for viewers that do not draw Mermaid). A diagram that does not
 * render is an error at its plan (MG054), and that plan is not written.
 */
export async function withTimelineSvgs(result: CompileResult, renderer: DiagramRenderer): Promise<CompileResult> {
  const plans = await Promise.all(result.plans.map(async (p): Promise<PlanResult> => {
    if (!p.ok || p.id === undefined) return p;
    const timeline = p.outputs.find((o) => o.path === `${p.id}/timeline.mmd`);
    if (!timeline) return p;
    const drawn = await renderer.render(timeline.contents);
    if (!drawn.ok) {
      const d: Diagnostic = {
        code: 'MG054', severity: 'error', file: p.file, ...(p.idSpan ? { span: p.idSpan } : {}),
        message: `the timeline of plan "${p.id}" does not render: ${drawn.message}`,
        help: 'The timeline comes from timeline.mmd.hbs: compare a custom one (--templates) with the built-in template, or build without --svg.',
      };
      return { ...p, ok: false, outputs: [], diagnostics: [...p.diagnostics, d].sort(compareDiagnostics) };
    }
    const block = `\`\`\`mermaid\n${timeline.contents}\`\`\`\n`;
    const outputs = p.outputs.map((o) => (o.path === `${p.id}/report.md` && o.contents.includes(block) ? { ...o, contents: o.contents.replace(block, `${block}\n${timelineLink}\n`) } : o));
    outputs.push({ path: `${p.id}/timeline.svg`, contents: drawn.svg });
    return { ...p, outputs: outputs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
  }));
  // As compile orders them: the templates' problems first, then each plan's.
  const ofPlans = new Set(result.plans.flatMap((p) => p.diagnostics));
  return { ...result, plans, diagnostics: [...result.diagnostics.filter((d) => !ofPlans.has(d)), ...plans.flatMap((p) => p.diagnostics)] };
}

/**
 * The --svg step of a build: start the browser, draw every timeline, close it. A missing
 * browser or renderer throws SvgUnavailable (MG055, exit 2) before anything is written.
 */
export async function drawTimelines(result: CompileResult, env: NodeJS.ProcessEnv = process.env): Promise<CompileResult> {
  const opened = await openRenderer(env);
  if (!opened.ok) throw new SvgUnavailable(opened.problem);
  try {
    return await withTimelineSvgs(result, opened.renderer);
  } finally {
    await opened.renderer.close();
  }
}

export class SvgUnavailable extends Error {
  constructor(readonly problem: Diagnostic) {
    super(problem.message);
  }
}
