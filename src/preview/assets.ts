/**
 * The page's own script and style, served as /assets/preview.js and /assets/preview.css (the
 * CSP allows scripts from this server only, and no inline script). Kept here as text so the
 * build ships them with the code, with no copy step.
 */

/**
 * Draws the Mermaid charts, and keeps the page live: on each change the server announces over
 * Server-Sent Events, it fetches its fragment again, draws the new charts off-screen (a chart
 * whose source did not change reuses its drawing), then swaps the content in place and puts the
 * scroll position and the open/closed scripts back as they were.
 */
export const pageScript = String.raw`(() => {
  'use strict';
  const content = document.getElementById('content');
  const live = document.getElementById('live');
  const file = content.dataset.file;
  const fragmentUrl = content.dataset.fragment;
  const mermaid = globalThis.mermaid;
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', suppressErrorRendering: true, theme: 'neutral', gantt: { useWidth: 1100 } });

  /** Drawn charts by their source, newest last; a few are kept. */
  const drawn = new Map();
  let chartSeq = 0;

  async function draw(root) {
    for (const diagram of root.querySelectorAll('.diagram:not([data-drawn])')) {
      const source = diagram.querySelector('.chart-source')?.textContent ?? '';
      let svg = drawn.get(source);
      if (svg === undefined) {
        try {
          svg = (await mermaid.render('chart-' + (++chartSeq), source)).svg;
        } catch (e) {
          diagram.dataset.drawn = 'failed';
          diagram.dataset.error = String((e && e.message) || e);
          continue;
        }
        drawn.set(source, svg);
        if (drawn.size > 8) drawn.delete(drawn.keys().next().value);
      }
      // securityLevel strict: mermaid has already sanitized the SVG (DOMPurify), labels are text.
      diagram.innerHTML = svg;
      diagram.dataset.drawn = 'yes';
    }
  }

  /**
   * Makes the old tree equal to the new one by touching only what differs: a change to one step
   * rewrites a few text nodes, not the page, so the browser restyles little and the scroll holds.
   * Nodes of another kind, or children of another count, are replaced whole.
   */
  function morph(old, next) {
    if (old.nodeType !== next.nodeType || old.nodeName !== next.nodeName) { old.replaceWith(next); return; }
    if (old.nodeType === Node.TEXT_NODE || old.nodeType === Node.COMMENT_NODE) {
      if (old.nodeValue !== next.nodeValue) old.nodeValue = next.nodeValue;
      return;
    }
    if (old.nodeType !== Node.ELEMENT_NODE) { old.replaceWith(next); return; }
    for (const { name } of [...old.attributes]) if (!next.hasAttribute(name)) old.removeAttribute(name);
    for (const { name, value } of [...next.attributes]) if (old.getAttribute(name) !== value) old.setAttribute(name, value);
    if (old.isEqualNode(next)) return;
    const before = [...old.childNodes];
    const after = [...next.childNodes];
    if (before.length !== after.length) { old.replaceChildren(...after); return; }
    for (let i = 0; i < before.length; i++) morph(before[i], after[i]);
  }

  /** The last element with an id that starts at or above the top of the view, and where it is. */
  function readingAnchor() {
    const line = document.querySelector('.bar').getBoundingClientRect().bottom + 8;
    let found;
    for (const el of content.querySelectorAll('[id]')) {
      if (el.closest('#diagnostics, #project-problems, svg')) continue;
      const top = el.getBoundingClientRect().top;
      if (top > line) break;
      found = { id: el.id, top };
    }
    return found;
  }

  function setTitle() {
    const fragment = content.querySelector('.fragment');
    if (fragment && fragment.dataset.title) document.title = fragment.dataset.title;
  }

  function generation() {
    const fragment = content.querySelector('.fragment');
    return fragment ? fragment.dataset.generation : undefined;
  }

  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const response = await fetch(fragmentUrl, { cache: 'no-store', headers: { accept: 'text/html' } });
        if (!response.ok && response.status !== 404) throw new Error('HTTP ' + response.status);
        const holder = document.createElement('div');
        holder.innerHTML = await response.text();
        await draw(holder);
        const open = new Map([...content.querySelectorAll('details[id]')].map((d) => [d.id, d.open]));
        for (const d of holder.querySelectorAll('details[id]')) if (open.has(d.id)) d.open = open.get(d.id);
        const x = window.scrollX;
        const y = window.scrollY;
        const anchor = readingAnchor();
        const incoming = [...holder.childNodes];
        const present = [...content.childNodes];
        if (present.length === incoming.length) present.forEach((node, i) => morph(node, incoming[i]));
        else content.replaceChildren(...incoming);
        window.scrollTo(x, y);
        // What was added or removed above (the errors' panel, say) must not move what is being read.
        const moved = anchor && document.getElementById(anchor.id);
        if (moved && !moved.closest('#diagnostics, #project-problems')) window.scrollBy(0, moved.getBoundingClientRect().top - anchor.top);
        setTitle();
        if (live.textContent === 'update failed') { live.textContent = 'live'; live.className = 'live up'; }
        document.dispatchEvent(new CustomEvent('migc:updated', { detail: { generation: generation() } }));
      } while (again);
    } catch (e) {
      live.textContent = 'update failed';
      live.className = 'live down';
      console.error('migc preview:', e);
    } finally {
      busy = false;
    }
  }

  function connect() {
    const events = new EventSource('/events');
    events.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live up'; });
    events.addEventListener('error', () => { live.textContent = 'reconnecting'; live.className = 'live down'; });
    // On (re)connecting the server says which change it is at: catch up with what was missed.
    events.addEventListener('hello', (event) => {
      if (JSON.parse(event.data).generation !== generation()) refresh();
    });
    events.addEventListener('change', (event) => {
      const change = JSON.parse(event.data);
      // The project's problems (config, templates) show on every page.
      if (file === undefined || change.project || change.files.includes(file)) refresh();
    });
  }

  draw(content).then(() => {
    document.documentElement.dataset.ready = 'yes';
    connect();
  });
})();
`;

export const pageStyle = String.raw`
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa;
  --red: #cf222e; --red-bg: #ffebe9; --amber: #9a6700; --amber-bg: #fff8c5; --green: #1a7f37; --green-bg: #dafbe1; --blue: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: var(--fg); }
a { color: var(--blue); }
code, pre { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
.bar { position: sticky; top: 0; z-index: 10; display: flex; justify-content: space-between; align-items: center;
  padding: 8px 24px; background: #24292f; color: #fff; }
.bar .home { color: #fff; font-weight: 600; text-decoration: none; }
.live { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #57606a; }
.live.up { background: var(--green); }
.live.down { background: var(--red); }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 64px; }
h1 small, h2 small { color: var(--muted); font-weight: normal; font-size: 60%; margin-left: 8px; }
.badges { display: flex; gap: 6px; flex-wrap: wrap; margin: 4px 0 8px; }
.badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); background: var(--bg-soft); }
.badge.ok { color: var(--green); background: var(--green-bg); border-color: #aceebb; }
.badge.error { color: var(--red); background: var(--red-bg); border-color: #ffcecb; font-weight: 600; }
.badge.warning { color: var(--amber); background: var(--amber-bg); border-color: #eed888; }
.badge.risk-high, .badge.risk-critical { color: var(--red); }
.badge.risk-medium { color: var(--amber); }
.badge.revision { color: var(--muted); }
[id] { scroll-margin-top: 52px; }
.toc { display: flex; gap: 14px; padding: 6px 0; border-bottom: 1px solid var(--line); margin-bottom: 12px; }
table { border-collapse: collapse; margin: 12px 0; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); }
td.n, th.n { text-align: right; }
table.plans { display: table; width: 100%; }
tr.failing td:first-child { box-shadow: inset 3px 0 0 var(--red); }
.diagnostics { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px; margin: 12px 0; background: var(--bg-soft); }
.diagnostics.failing { border-color: var(--red); background: var(--red-bg); position: sticky; top: 40px; z-index: 5; max-height: 45vh; overflow-y: auto;
  box-shadow: 0 4px 12px rgba(0,0,0,.12); }
.diagnostics.project { position: static; box-shadow: none; max-height: none; }
.diagnostics.project:not(.failing) { border-color: #eed888; background: var(--amber-bg); }
/* A table whose header row is empty (the report's key-value tables) shows no empty bar above it. */
thead:not(:has(th:not(:empty))) { display: none; }
.diagnostics h2 { margin: 8px 0; font-size: 18px; }
.diagnostics ul { list-style: none; padding: 0; margin: 0 0 8px; }
.diag { padding: 4px 0; border-top: 1px solid rgba(0,0,0,.08); }
.diag .loc { font-family: ui-monospace, monospace; font-size: 13px; font-weight: 600; }
.diag .sev { font-size: 12px; text-transform: uppercase; padding: 0 4px; border-radius: 3px; }
.diag.error .sev { color: #fff; background: var(--red); }
.diag.warning .sev { color: #fff; background: var(--amber); }
.diag.info .sev { color: #fff; background: #57606a; }
.diag .help { color: var(--muted); margin-left: 16px; font-size: 14px; }
.diag pre.frame { margin: 4px 0 4px 16px; padding: 4px 8px; font-size: 13px; line-height: 1.3; background: rgba(255,255,255,.6); }
.stale-note { font-weight: 600; margin: 4px 0; }
.stale { opacity: .6; }
.markdown h1 { border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.markdown h2 { border-bottom: 1px solid var(--line); padding-bottom: 2px; margin-top: 28px; }
.markdown :not(pre) > code { background: var(--bg-soft); padding: 1px 4px; border-radius: 4px; }
pre { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; }
li.task { list-style: none; margin-left: -20px; }
.diagram { margin: 12px 0; overflow-x: auto; }
.diagram[data-drawn="yes"] { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.diagram svg { max-width: none; }
.diagram[data-drawn="failed"]::before { content: "Mermaid could not draw this chart: " attr(data-error); display: block; color: var(--red); margin-bottom: 4px; }
.scripts details { margin: 6px 0; }
.scripts summary { cursor: pointer; }
.sql .kw { color: #cf222e; font-weight: 600; }
.sql .str { color: #0a3069; }
.sql .num { color: #0550ae; }
.sql .id { color: #953800; }
.sql .cmt { color: #6e7781; font-style: italic; }
.sql .param, .sql .meta { color: #8250df; }
.sql .data { color: #116329; }
.empty { color: var(--muted); }
`;
