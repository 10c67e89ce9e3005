/* "Take this demo further": four ways out of every demo, in one small toolbar under it.
 *
 *   Open in notebook  the demo's notebook in the book's own JupyterLite (same site, same Pyodide)
 *   Download .ipynb   the same notebook, generated from the demo module when the book was built
 *   Open in Colab     that notebook in the repository on GitHub, opened by Colab
 *   Edit here         the demo's Python source in an editor on the page; Run re-renders the demo
 *                     with the edited code in the page's one Python worker, Reset restores it
 *
 * This script only uses the Demo object demo.js hangs on each root (`root.__fgDemo`): setting
 * `d.source` to a string makes the worker run that code (under its own key, so other demos never
 * see it); `undefined` goes back to the shipped module. An error in edited code is shown by the
 * demo itself, like any render error, and the next Run or Reset recovers.
 *
 * Loaded after demo.js; re-scans on every page change (Material's document$), like demo.js.
 * CodeMirror 5 (served from the site) is loaded on the first "Edit here"; without it the editor is
 * a plain textarea.
 */
(() => {
  "use strict";
  if (window.__fieldguideFork) return;
  window.__fieldguideFork = true;

  const SCRIPT = document.currentScript;
  const ROOT = new URL("../../", SCRIPT.src);
  const RT = new URL("assets/runtime/", ROOT);
  const COLAB = "https://colab.research.google.com/github/";

  const manifest = () => window.__fieldguide.manifest();   // shared with demo.js (loaded first)

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function link(text, href, title, extra) {
    const a = el("a", "fg-fork-btn", text);
    a.href = href;
    a.title = title;
    Object.assign(a, extra || {});
    if (a.target === "_blank") a.rel = "noopener";
    return a;
  }

  /* ---------------- CodeMirror, loaded on first use ---------------- */
  let cmP = null;
  function codemirror(m) {
    if (!cmP) {
      const ed = m.editor;
      cmP = (async () => {
        if (!ed) throw new Error("no editor in this build");
        const css = el("link");
        css.rel = "stylesheet";
        css.href = new URL(ed.css, RT).href;
        document.head.append(css);
        for (const src of ed.js) {
          await new Promise((resolve, reject) => {
            const s = el("script");
            s.src = new URL(src, RT).href;
            s.onload = resolve;
            s.onerror = () => reject(new Error(`could not load ${src}`));
            document.head.append(s);
          });
        }
        return window.CodeMirror;
      })();
      cmP.catch(() => { cmP = null; });
    }
    return cmP;
  }

  /* ---------------- the editor panel of one demo ---------------- */
  class Editor {
    constructor(root, d, m, toggle) {
      this.root = root;
      this.d = d;
      this.m = m;
      this.toggle = toggle;
      this.original = null;
      this.cm = null;
      const uid = `${root.querySelector(".fg-demo-title")?.id || d.id}-edit`;
      this.panel = el("div", "fg-edit");
      this.panel.id = uid;
      this.panel.hidden = true;
      const label = el("p", "fg-edit-label", `The Python source of this demo (demos/${d.id}.py). `);
      label.id = `${uid}-label`;
      label.append(el("span", "fg-edit-hint",
        "Run re-renders the demo above with your code (Ctrl+Enter in the editor); Esc leaves the editor."));
      this.area = el("textarea", "fg-edit-area");
      this.area.spellcheck = false;
      this.area.setAttribute("aria-labelledby", label.id);
      this.area.rows = 18;
      const bar = el("div", "fg-edit-bar");
      this.run = el("button", "fg-fork-btn fg-edit-run", "Run");
      this.run.type = "button";
      this.reset = el("button", "fg-fork-btn fg-edit-reset", "Reset");
      this.reset.type = "button";
      this.reset.title = "Go back to the book's code and re-render";
      this.note = el("span", "fg-edit-note");
      this.note.setAttribute("role", "status");
      bar.append(this.run, this.reset, this.note);
      this.panel.append(label, this.area, bar);
      this.run.addEventListener("click", () => this.apply());
      this.reset.addEventListener("click", () => this.restore());
    }
    async open() {
      if (this.original === null) {
        this.note.textContent = "Loading the code…";
        const rel = this.m.demos && this.m.demos[this.d.id];
        if (!rel) throw new Error(`the site has no code for demo ${this.d.id}`);
        const r = await fetch(new URL(rel, RT));
        if (!r.ok) throw new Error(`could not load the demo's code (HTTP ${r.status})`);
        this.original = await r.text();
        this.area.value = this.d.source === undefined ? this.original : this.d.source;
        this.note.textContent = "";
        try {
          const CM = await codemirror(this.m);
          if (CM && !this.cm) this.mount(CM);
        } catch (_) { /* the plain textarea stays: still a working editor */ }
      }
      this.panel.hidden = false;
      if (this.cm) this.cm.refresh();
    }
    mount(CM) {
      const run = () => this.apply();
      this.cm = CM.fromTextArea(this.area, {
        mode: "python", lineNumbers: true, indentUnit: 4, tabSize: 4, viewportMargin: Infinity,
        inputStyle: "contenteditable", screenReaderLabel: `Python source of the ${this.d.id} demo`,
        extraKeys: {
          "Ctrl-Enter": run, "Cmd-Enter": run,
          Esc: () => this.run.focus(),
          Tab: (cm) => (cm.somethingSelected() ? cm.indentSelection("add") : cm.replaceSelection("    ")),
          "Shift-Tab": (cm) => cm.indentSelection("subtract"),
        },
      });
      this.cm.getWrapperElement().classList.add("fg-edit-cm");
      this.cm.on("change", () => this.markDirty());
    }
    value() { return this.cm ? this.cm.getValue() : this.area.value; }
    markDirty() {
      const edited = this.value() !== this.original;
      this.note.textContent = edited ? "Edited — Run to see it" : "";
    }
    apply() {
      const src = this.value();
      this.d.source = src === this.original ? undefined : src;
      this.setEdited(this.d.source !== undefined);
      this.note.textContent = this.d.source === undefined ? "The book's code" : "Running your code";
      this.d.update(performance.now());
    }
    restore() {
      if (this.original === null) return;
      if (this.cm) this.cm.setValue(this.original); else this.area.value = this.original;
      this.d.source = undefined;
      this.setEdited(false);
      this.note.textContent = "Back to the book's code";
      this.d.update(performance.now());
    }
    setEdited(on) {
      if (on) this.root.dataset.demoEdited = ""; else delete this.root.dataset.demoEdited;
      this.toggle.textContent = on ? "Edit here (edited)" : "Edit here";
    }
  }

  /* ---------------- the toolbar ---------------- */
  function attach(root, m) {
    const d = root.__fgDemo;
    const id = d.id;
    const nb = m.notebooks;
    const bar = el("div", "fg-fork");
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", `Take the ${id} demo further`);
    if (nb) {
      bar.append(
        link("Open in notebook", `${new URL(nb.lite, RT).href}?path=${encodeURIComponent(id)}.ipynb`,
             "Run this demo as a Jupyter notebook in the book's own JupyterLite (opens a new tab; nothing leaves this site)",
             { target: "_blank" }),
        link("Download .ipynb", new URL(`${nb.site}${id}.ipynb`, RT).href,
             "The same notebook, for Jupyter or VS Code", { download: `${id}.ipynb` }),
        link("Open in Colab", `${COLAB}${nb.repository}/blob/${nb.branch}/${nb.path}/${id}.ipynb`,
             "Open the notebook from the book's GitHub repository in Google Colab", { target: "_blank" }),
      );
      bar.querySelectorAll("a")[0].classList.add("fg-fork-lite");
      bar.querySelectorAll("a")[1].classList.add("fg-fork-download");
      bar.querySelectorAll("a")[2].classList.add("fg-fork-colab");
    }
    const toggle = el("button", "fg-fork-btn fg-fork-edit", "Edit here");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.title = "Change this demo's Python code and run it on this page";
    bar.append(toggle);
    const ed = new Editor(root, d, m, toggle);
    toggle.setAttribute("aria-controls", ed.panel.id);
    toggle.addEventListener("click", async () => {
      const opening = ed.panel.hidden;
      toggle.setAttribute("aria-expanded", String(opening));
      if (!opening) { ed.panel.hidden = true; return; }
      try {
        await ed.open();
        (ed.cm || ed.area).focus();
      } catch (e) {
        ed.panel.hidden = false;
        ed.note.textContent = e.message;
      }
    });
    root.append(bar, ed.panel);
    root.__fgFork = ed;
  }

  async function scan() {
    const roots = [...document.querySelectorAll("[data-demo]")].filter((r) => !r.__fgFork);
    if (!roots.length) return;
    let m;
    try { m = await manifest(); } catch (_) { m = {}; }
    for (const root of roots) if (root.__fgDemo && !root.__fgFork && root.isConnected) attach(root, m);
  }

  // After demo.js has found the page's demos, on every page change (without it there is nothing to fork)
  if (window.__fieldguide) window.__fieldguide.onPage(scan);
})();
