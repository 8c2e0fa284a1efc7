// puppeteer comes with @mermaid-js/mermaid-cli (a dev dependency, for the Mermaid rendering
// test). It must not download a browser of its own on `npm install`: the tests use Debian's
// chromium (/usr/bin/chromium), which .ci/run installs.
module.exports = { skipDownload: true };
