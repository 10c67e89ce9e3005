/* fieldguide's page script: finds the demos on a page, wires their controls to one shared Python
 * worker, and draws what comes back.
 *
 * - Loaded once per tab (mkdocs.yml extra_javascript). With Material's instant navigation the page
 *   body is swapped without reloading scripts, so the worker — and the Python inside it — lives
 *   across chapters; every page change (including back/forward) re-scans for demos via document$.
 * - Controls -> {demo, values} -> worker -> JSON blocks -> DOM / plotly.js. While a render is in
 *   flight a dragged slider only queues its latest value (coalescing).
 * - Faults stay inside the demo that had them: a runtime that cannot load, an exception in render,
 *   or a render that runs away (the worker is then restarted). The pre-rendered output stays.
 * - Nothing a demo returns is ever parsed as HTML.
 */
(() => {
  "use strict";
  if (window.__fieldguide) return;   // loaded twice (should not happen): keep the first

  const SCRIPT = document.currentScript;
  const ROOT = new URL("../../", SCRIPT.src);          // the site's root, under any sub-path
  const RT = new URL("assets/runtime/", ROOT);
  const BOOT_TIMEOUT_MS = 120000;

  const fg = (window.__fieldguide = {
    boots: 0,              // how many times Python was started in this tab
    bootMs: null,
    restarts: 0,
    demos: new Set(),
  });

  /* ---------------- runtime manifest ---------------- */
  let manifestP = null;
  function manifest() {
    if (!manifestP) {
      manifestP = fetch(new URL("runtime.json", RT), { cache: "no-cache" }).then((r) => {
        if (!r.ok) throw new Error(`the runtime manifest is missing (HTTP ${r.status})`);
        return r.json();
      });
      manifestP.catch(() => { manifestP = null; });
    }
    return manifestP;
  }

  /* ---------------- the worker ---------------- */
  let worker = null;
  let bootP = null;
  let bootError = null;
  let nextId = 1;
  const pending = new Map();     // request id -> {resolve, reject, msg, timer, timeoutMs}

  function startWorker() {
    bootError = null;
    worker = new Worker(new URL("assets/fieldguide/worker.js", ROOT));
    const w = worker;
    bootP = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the Python runtime took too long to start")), BOOT_TIMEOUT_MS);
      w.addEventListener("message", function onBoot(ev) {
        const m = ev.data;
        if (m.type === "booted") { clearTimeout(timer); fg.boots += 1; fg.bootMs = m.ms; resolve(); }
        else if (m.type === "boot-error") { clearTimeout(timer); reject(new Error(m.error)); }
        else if (m.type === "progress") { for (const d of fg.demos) d.progress(m.text); }
        else return;
        if (m.type !== "progress") w.removeEventListener("message", onBoot);
      });
      w.addEventListener("error", (ev) => {
        clearTimeout(timer);
        reject(new Error(ev.message || "the Python worker could not start"));
      });
    });
    bootP.catch((e) => { bootError = e; failAll(e); });
    w.addEventListener("message", onMessage);
    manifest().then((m) => {
      if (w !== worker) return;
      w.postMessage({ type: "boot", cfg: {
        pyodide: new URL(m.pyodide, RT).href, wheel: new URL(m.wheel, RT).href, sri: m.pyodide_sri || null } });
    }).catch((e) => { bootError = e; failAll(e); w.terminate(); });
  }

  function failAll(e) {
    for (const [id, p] of pending) { clearTimeout(p.timer); p.reject(e); pending.delete(id); }
    for (const d of fg.demos) d.fail(`Live mode is unavailable: ${e.message}. The figure below is the version computed when the book was built.`);
  }

  function onMessage(ev) {
    const m = ev.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === "begin") {
      // The render itself starts now: from here a runaway is the demo's fault, not the download's.
      p.timer = setTimeout(() => runaway(m.id), p.timeoutMs);
      return;
    }
    clearTimeout(p.timer);
    pending.delete(m.id);
    if (m.type === "result") {
      const r = JSON.parse(m.json);
      pyMsById.set(m.id, m.pyMs);
      if (r.ok) p.resolve(r.blocks); else p.reject(new Error(r.error));
    } else if (m.type === "error") {
      p.reject(new Error(m.error));
    }
  }

  function runaway(id) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    fg.restarts += 1;
    worker.terminate();
    const others = [...pending.values()];
    pending.clear();
    p.reject(new Error(`this render ran for more than ${p.timeoutMs / 1000} s and was stopped; ` +
                       "Python was restarted, so the next change will work again"));
    startWorker();
    for (const o of others) send(o);  // innocent requests queued behind it: resend to the new worker
  }

  function send(p) {
    pending.set(p.msg.id, p);
    worker.postMessage(p.msg);
  }

  function request(msg, timeoutMs) {
    if (!worker) startWorker();
    if (bootError) return Promise.reject(bootError);
    msg.id = nextId++;
    return new Promise((resolve, reject) => send({
      resolve: (blocks) => resolve({ blocks, pyMs: lastPyMs(msg.id) }), reject, msg, timer: null, timeoutMs }));
  }
  const pyMsById = new Map();
  function lastPyMs(id) { const v = pyMsById.get(id); pyMsById.delete(id); return v; }

  /* ---------------- plotly.js, loaded on first use ---------------- */
  let plotlyP = null;
  function plotly() {
    if (!plotlyP) {
      plotlyP = manifest().then((m) => new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = new URL(m.plotly, RT).href;
        s.onload = () => resolve(window.Plotly);
        s.onerror = () => { plotlyP = null; reject(new Error("plotly.js could not be loaded")); };
        document.head.appendChild(s);
      }));
    }
    return plotlyP;
  }

  /* ---------------- drawing blocks (mirrors src/fieldguide_site/blocks.py) ---------------- */
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function cell(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number" && !Number.isInteger(v)) return Number(v.toPrecision(4)).toString();
    return String(v);
  }

  const DRAW = {
    stats(b) {
      const dl = el("dl", "fg-stats");
      for (const it of b.items || []) {
        const div = el("div", "fg-stat");
        div.append(el("dt", "", it.label));
        const dd = el("dd", "", it.value);
        if (it.unit) { dd.append(" "); dd.append(el("span", "fg-unit", it.unit)); }
        div.append(dd);
        if (it.note) div.append(el("small", "", it.note));
        dl.append(div);
      }
      return dl;
    },
    table(b) {
      const wrap = el("div", "fg-table-wrap");
      const t = el("table", "fg-table");
      if (b.caption) t.append(el("caption", "", b.caption));
      const tr = el("tr");
      for (const c of b.columns || []) { const th = el("th", "", c); th.scope = "col"; tr.append(th); }
      const thead = el("thead"); thead.append(tr); t.append(thead);
      const tbody = el("tbody");
      for (const r of b.rows || []) {
        const row = el("tr");
        for (const v of r) row.append(el("td", "", cell(v)));
        tbody.append(row);
      }
      t.append(tbody); wrap.append(t);
      return wrap;
    },
    tokens(b) {
      const wrap = el("div", "fg-tokens-block");
      if (b.caption) wrap.append(el("p", "fg-caption", b.caption));
      const box = el("div", "fg-tokens");
      for (const t of b.tokens || []) {
        const s = el("span", `fg-tok fg-tok-g${(t.group | 0) % 8}${t.muted ? " fg-tok-muted" : ""}`, t.text || "");
        if (t.title) s.title = String(t.title);
        if (t.id !== undefined && t.id !== null) s.append(el("sub", "", t.id));
        box.append(s);
      }
      wrap.append(box);
      return wrap;
    },
    text(b) { return el("p", `fg-text fg-text--${b.level || "info"}`, b.text); },
    code(b) {
      const f = el("figure", "fg-code");
      if (b.caption) f.append(el("figcaption", "", b.caption));
      const pre = el("pre"); pre.append(el("code", "", b.text)); f.append(pre);
      return f;
    },
  };

  function themed(layout) {
    const cs = getComputedStyle(document.body);
    const fg = cs.getPropertyValue("--md-typeset-color").trim() || "#333";
    const l = Object.assign({}, layout);
    l.paper_bgcolor = "rgba(0,0,0,0)";
    l.plot_bgcolor = layout.plot_bgcolor || "rgba(0,0,0,0)";   // a demo may colour masked cells
    l.font = Object.assign({ color: fg, family: cs.fontFamily }, layout.font || {});
    l.autosize = true;
    if (!l.height) l.height = 380;
    delete l.width;
    l.margin = Object.assign({ l: 60, r: 20, t: 40, b: 50 }, layout.margin || {});
    return l;
  }

  async function drawBlocks(out, blocks, title) {
    const olds = [...out.children];
    const jobs = [];
    blocks.forEach((b, i) => {
      const old = olds[i];
      if (b.kind === "plotly") {
        let wrap = old;
        if (!old || old.dataset.kind !== "plotly" || !old.querySelector(".fg-plot-live")) {
          wrap = el("div", "fg-block fg-block--plotly");
          wrap.dataset.kind = "plotly";
          const fig = el("figure", "fg-plot");
          const area = el("div", "fg-plot-area fg-plot-live");
          area.setAttribute("role", "img");
          const det = el("details", "fg-alt");
          det.append(el("summary", "", "The numbers behind this chart"), el("p"));
          fig.append(area, det);
          wrap.append(fig);
          if (old) {
            // keep the static SVG visible until plotly has drawn, then swap
            const area0 = old.querySelector(".fg-plot-area");
            if (area0 && !area0.classList.contains("fg-plot-live")) area.style.minHeight = area0.offsetHeight + "px";
          }
        }
        const area = wrap.querySelector(".fg-plot-live");
        area.setAttribute("aria-label", b.alt || title);
        wrap.querySelector(".fg-alt p").textContent = b.alt || "";
        const fig = b.figure || {};
        jobs.push(plotly().then((P) => P.react(area, fig.data || [], themed(fig.layout || {}),
          { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "sendDataToCloud"] })
        ).then(() => { if (wrap !== old) { if (old) old.replaceWith(wrap); else out.append(wrap); } area.style.minHeight = ""; }));
        if (wrap !== old && !old) out.append(wrap);
        return;
      }
      const make = DRAW[b.kind];
      const node = el("div", `fg-block fg-block--${b.kind}`);
      node.dataset.kind = b.kind;
      node.append(make ? make(b) : el("p", "fg-text fg-text--error", `unknown output kind ${b.kind}`));
      if (old) old.replaceWith(node); else out.append(node);
    });
    await Promise.all(jobs);
    for (const extra of olds.slice(blocks.length)) extra.remove();
  }

  /* ---------------- values ---------------- */
  const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  function sci(x) {   // 5.76 × 10²³, like fieldguide_site.numbers.sci
    let e = Math.floor(Math.log10(Math.abs(x)));
    let m = Number((x / Math.pow(10, e)).toFixed(2));
    if (Math.abs(m) >= 10) { m /= 10; e += 1; }
    return `${m} × 10${String(e).replace(/[-0-9]/g, (c) => SUP[c])}`;
  }

  function fmtValue(v) {
    let s;
    if (typeof v !== "number") s = String(v);
    else {
      const a = Math.abs(v);
      const g3 = (x) => Number(x.toPrecision(3)).toString();
      if (a >= 1e15) s = sci(v);
      else if (a >= 1e12) s = `${g3(v / 1e12)} trillion`;
      else if (a >= 1e9) s = `${g3(v / 1e9)} billion`;
      else if (a >= 1e6) s = `${g3(v / 1e6)} million`;
      else if (a >= 1e4 || Number.isInteger(v)) s = Math.round(v).toLocaleString("en-US");
      else s = g3(v);
    }
    return s;
  }

  function inputValue(inp) {
    if (inp.type === "checkbox") return inp.checked;
    if (inp.type === "range" || inp.type === "number") {
      if (inp.value.trim() === "") return inp.value;       // let Python say what is wrong
      // Untouched: the exact default (a range snaps its value to the step grid, 16384 -> 16520).
      if (inp.value === inp.dataset.initial && inp.dataset.default !== undefined) return Number(inp.dataset.default);
      const x = Number(inp.value);
      if (inp.dataset.scale === "log") return Number(Math.pow(10, x).toPrecision(3));
      return x;
    }
    return inp.value;
  }

  /* ---------------- one demo on the page ---------------- */
  class Demo {
    constructor(root) {
      this.root = root;
      this.id = root.dataset.demo;
      this.form = root.querySelector("form.fg-demo-controls");
      this.out = root.querySelector("[data-demo-output]");
      this.status = root.querySelector("[data-demo-status]");
      this.title = (root.querySelector(".fg-demo-title") || {}).textContent || this.id;
      this.inputs = this.form ? [...this.form.elements].filter((e) => e.name) : [];
      for (const inp of this.inputs) inp.dataset.initial = inp.value;
      this.timeoutMs = 1000 * (Number(root.dataset.demoTimeout) || 5);
      this.busy = false;
      this.queued = null;
      this.source = undefined;    // edited code, when the reader changes it in place
      this.restoreUrlState();
      for (const inp of this.inputs) {
        inp.addEventListener("input", (ev) => this.changed(ev));
        inp.addEventListener("change", (ev) => this.changed(ev));
      }
      if (this.form) this.form.addEventListener("submit", (ev) => ev.preventDefault());
      this.setState("loading");
      this.progress("Starting Python in the background…");
      if (this.out.querySelector(".fg-plot")) plotly().catch(() => {});   // fetch plotly.js while Python boots
      this.update(performance.now());   // go live with the current values
    }
    setState(s) { this.root.dataset.demoState = s; }
    progress(text) { if (this.root.dataset.demoState === "loading") this.status.textContent = text; }
    values() {
      const v = {};
      for (const inp of this.inputs) v[inp.name] = inputValue(inp);
      return v;
    }
    showValue(inp) {
      const o = this.form.querySelector(`output[for="${CSS.escape(inp.id)}"]`);
      const v = inputValue(inp);
      const text = fmtValue(v);   // the unit is in the label
      if (o) o.textContent = text;
      if (inp.type === "range") inp.setAttribute("aria-valuetext", text);
    }
    changed(ev) {
      if (ev.type === "change" && ev.target.type === "range") return;   // the input event already did it
      this.showValue(ev.target);
      this.saveUrlState();
      this.update(performance.now());
    }
    update(t0) {
      const values = this.values();
      if (this.busy) { this.queued = { values, t0 }; return; }
      this.run(values, t0);
    }
    async run(values, t0) {
      this.busy = true;
      this.root.dataset.demoValues = JSON.stringify(values);
      try {
        const src = await this.src();
        const { blocks, pyMs } = await request({
          type: "render", key: this.source === undefined ? this.id : `edited:${this.id}`,
          src, source: this.source, values, assets: await this.assets(),
        }, this.timeoutMs);
        if (!this.root.isConnected) return;
        await drawBlocks(this.out, blocks, this.title);
        const ms = performance.now() - t0;
        this.clearError();
        this.root.dataset.demoRenderMs = ms.toFixed(1);
        this.root.dataset.demoPythonMs = pyMs.toFixed(1);   // of which Python itself (for bench/)
        this.root.dataset.demoRenders = String((Number(this.root.dataset.demoRenders) || 0) + 1);
        this.setState("live");
        this.status.textContent = `Live · Python in your browser · ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
      } catch (e) {
        if (this.root.isConnected) this.fail(e.message);
      } finally {
        this.busy = false;
        const q = this.queued;
        this.queued = null;
        if (q && this.root.isConnected) this.run(q.values, q.t0);
      }
    }
    async src() {
      const m = await manifest();
      const rel = m.demos && m.demos[this.id];
      if (!rel) throw new Error(`the site has no code for demo ${this.id}`);
      return new URL(rel, RT).href;
    }
    async assets() {
      const names = (this.root.dataset.demoAssets || "").split(/\s+/).filter(Boolean);
      if (!names.length) return [];
      const m = await manifest();
      return names.map((n) => ({ name: n, url: new URL(m.data[n] || `data/${n}`, RT).href }));
    }
    fail(message) {
      this.setState("error");
      this.status.textContent = "Not live — see the message below";
      let box = this.root.querySelector(".fg-demo-error");
      if (!box) {
        box = el("p", "fg-demo-error");
        box.setAttribute("role", "alert");
        this.out.before(box);
      }
      box.textContent = message;
    }
    clearError() {
      const box = this.root.querySelector(".fg-demo-error");
      if (box) box.remove();
    }
    /* Share a configuration: demos built with URL_STATE keep their controls in ?demo-<id>=... */
    restoreUrlState() {
      if (!("demoUrlState" in this.root.dataset)) return;
      const raw = new URLSearchParams(location.search).get(`demo-${this.id}`);
      if (!raw) return;
      const saved = new URLSearchParams(raw);
      for (const inp of this.inputs) {
        if (!saved.has(inp.name)) continue;
        const v = saved.get(inp.name);
        if (inp.type === "checkbox") inp.checked = v === "1";
        else if (inp.dataset.scale === "log") inp.value = String(Math.log10(Number(v)));
        else inp.value = v;
        this.showValue(inp);
      }
    }
    saveUrlState() {
      if (!("demoUrlState" in this.root.dataset)) return;
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(this.values())) p.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
      const url = new URL(location.href);
      url.searchParams.set(`demo-${this.id}`, p.toString());
      history.replaceState(history.state, "", url);
    }
  }

  /* ---------------- discovery, on every page (instant navigation included) ---------------- */
  function scan() {
    for (const d of fg.demos) if (!d.root.isConnected) fg.demos.delete(d);
    for (const root of document.querySelectorAll("[data-demo]")) {
      if (root.__fgDemo) continue;
      const d = new Demo(root);
      root.__fgDemo = d;
      fg.demos.add(d);
    }
  }

  /* Other page scripts (fork.js) run after each scan through onPage, on the same page events. */
  const pageHooks = [];
  let scanned = false;
  function pageChanged() {
    scan();
    scanned = true;
    for (const fn of pageHooks) fn();
  }

  fg.scan = scan;
  fg.manifest = manifest;     // runtime.json, fetched once; fork.js reads it too
  fg.request = request;
  fg.onPage = (fn) => { pageHooks.push(fn); if (scanned) fn(); };
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(pageChanged);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", pageChanged);
  } else {
    pageChanged();
  }
})();
