// Measurements a reader's eye makes, run inside a rendered EPUB document.
// window.mslChecks(doc) returns what does not fit, cannot be read or cannot be tapped.
(function () {
  function rgba(text) {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, under) {  // top composited over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  function background(el, win) {
    // the colours painted under el, from the canvas (white, as browsers paint it) upwards
    const layers = [];
    for (let e = el; e; e = e.parentElement) layers.push(rgba(win.getComputedStyle(e).backgroundColor));
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  }
  function texts(doc) {
    const out = [];
    const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.nodeValue.trim()) continue;
      const el = n.parentElement;
      if (el.closest("[hidden], svg, math, script, style")) continue;
      const range = doc.createRange();
      range.selectNodeContents(n);
      const box = range.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;  // not displayed
      out.push([n, el]);
    }
    return out;
  }
  function describe(el) {
    return el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "");
  }

  window.mslChecks = function (doc) {
    const win = doc.defaultView;
    const report = { contrast: [], overflow: [], size: [], targets: [], regions: [], page: [] };
    // the page's colours are the reading system's: a background on the root would stop a
    // reader's body background from covering every page
    const root = rgba(win.getComputedStyle(doc.documentElement).backgroundColor);
    if (root[3] > 0) report.page.push(`html has its own background ${win.getComputedStyle(doc.documentElement).backgroundColor}`);
    const bodySize = parseFloat(win.getComputedStyle(doc.body).fontSize);
    const width = doc.documentElement.clientWidth;
    for (const [n, el] of texts(doc)) {
      const style = win.getComputedStyle(el);
      const size = parseFloat(style.fontSize);
      const bg = background(el, win);
      const fg = over(rgba(style.color), bg);
      const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
      const ratio = contrast(fg, bg);
      const text = n.nodeValue.trim().slice(0, 40);
      if (ratio < (large ? 3 : 4.5) - 0.005)
        report.contrast.push(`${describe(el)} "${text}": ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round)}))`);
      const small = el.closest("sup, sub, .noteref, .backlink") ? 0.7 : 0.8;
      if (size < small * bodySize - 0.01)
        report.size.push(`${describe(el)} "${text}": ${(size / bodySize).toFixed(3)} em of the reader's size`);
    }
    for (const el of doc.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.right <= width + 0.5 && r.left >= -0.5) continue;
      let scroller = el.parentElement;
      while (scroller && !["auto", "scroll"].includes(win.getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
      const sr = scroller && scroller.getBoundingClientRect();
      if (sr && sr.right <= width + 0.5 && sr.left >= -0.5) continue;
      report.overflow.push(`${describe(el)}: ${Math.round(r.left)}–${Math.round(r.right)} px in a ${width} px viewport`);
    }
    if (doc.documentElement.scrollWidth > width + 1)
      report.overflow.push(`the document scrolls sideways: ${doc.documentElement.scrollWidth} px in ${width} px`);
    for (const el of doc.body.querySelectorAll("*")) {
      const overflowX = win.getComputedStyle(el).overflowX;
      if (!["auto", "scroll"].includes(overflowX) || el.scrollWidth <= el.clientWidth) continue;
      const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
      if (el.getAttribute("tabindex") !== "0" || !["region", "group"].includes(el.getAttribute("role")) || !named)
        report.regions.push(`${describe(el)} scrolls but is not a focusable, labelled region or group`);
    }
    for (const el of doc.body.querySelectorAll("a.noteref, a[role='doc-backlink']")) {
      const r = el.getBoundingClientRect();
      if (r.width < 24 - 0.01 || r.height < 24 - 0.01)
        report.targets.push(`${describe(el)} "${el.textContent}": ${r.width.toFixed(1)}×${r.height.toFixed(1)} px`);
    }
    return report;
  };
})();
