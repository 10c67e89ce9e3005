/* fieldguide's Python worker: one per tab, kept across page changes by demo.js.
 *
 * Hosts Pyodide + numpy + the fieldguide wheel, loads demo modules from the site, and answers
 * {type: "render"} messages with the demo's JSON output. The page never runs Python itself, so a
 * slow render can never freeze scrolling or typing; a runaway one is stopped by terminating this
 * worker (demo.js starts a fresh one).
 *
 * Messages in:  {type: "boot", cfg: {pyodide, wheel}}
 *               {type: "render", id, key, src?, source?, assets: [{name, url}], values}
 * Messages out: {type: "booted", ms} | {type: "boot-error", error} | {type: "progress", text}
 *               {type: "begin", id} | {type: "result", id, json} | {type: "error", id, error}
 */
"use strict";

let py = null;
let startBoot;                                   // called with the config when "boot" arrives
const booting = new Promise((resolve) => { startBoot = resolve; }).then(boot);
const loaded = new Map();   // demo key -> source text that is loaded under it
const assets = new Map();   // asset name -> promise of it being in the FS

const BOOT_PY = `
import json, os, sys, types, traceback
os.environ["FIELDGUIDE_DATA"] = "/home/pyodide/fieldguide-data"
import numpy, fieldguide
from fieldguide import demo as _fg_runner

_fg_mods = {}

def _fg_load(key, source, filename):
    mod = types.ModuleType("fieldguide_demo_" + key.replace(":", "_"))
    mod.__file__ = filename
    exec(compile(source, filename, "exec"), mod.__dict__)
    for name in ("CONTROLS", "render"):
        if not hasattr(mod, name):
            raise ValueError(f"the demo code defines no {name}")
    _fg_mods[key] = mod

def _fg_render(key, values_json):
    try:
        blocks = _fg_runner.call(_fg_mods[key], json.loads(values_json))
        return json.dumps({"ok": True, "blocks": blocks}, allow_nan=False)
    except ValueError as e:
        return json.dumps({"ok": False, "error": str(e) or "invalid value"})
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)
        where = next((f" (line {f.lineno} of {os.path.basename(f.filename)})" for f in reversed(tb)
                      if f.filename.endswith(".py") and "site-packages" not in f.filename), "")
        return json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}{where}"})
`;

async function boot(cfg) {
  const t0 = performance.now();
  self.postMessage({ type: "progress", text: "Loading the Python runtime…" });
  if (cfg.sri) {
    // CDN mode: fetch pyodide.js under Subresource Integrity, then run that exact text.
    const r = await fetch(cfg.pyodide + "pyodide.js", { integrity: cfg.sri, mode: "cors" });
    importScripts(URL.createObjectURL(new Blob([await r.text()], { type: "text/javascript" })));
  } else {
    importScripts(cfg.pyodide + "pyodide.js");
  }
  py = await loadPyodide({ indexURL: cfg.pyodide, stdout: () => {}, stderr: () => {} });
  self.postMessage({ type: "progress", text: "Loading numpy and fieldguide…" });
  const problems = [];
  await py.loadPackage(["numpy", cfg.wheel], {
    messageCallback: () => {},
    errorCallback: (m) => problems.push(m),
  });
  try {
    py.runPython(BOOT_PY);
  } catch (e) {
    throw new Error(problems.join("; ") || firstLine(e));
  }
  return performance.now() - t0;
}

function firstLine(e) {
  const lines = String((e && e.message) || e).trim().split("\n");
  return lines[lines.length - 1];
}

async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not load ${url} (HTTP ${r.status})`);
  return r.text();
}

function ensureAsset(name, url) {
  if (!assets.has(name)) {
    const p = (async () => {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`could not load data file ${name} (HTTP ${r.status})`);
      const buf = new Uint8Array(await r.arrayBuffer());
      const dir = "/home/pyodide/fieldguide-data";
      try { py.FS.mkdirTree(dir); } catch (_) { /* exists */ }
      py.FS.writeFile(`${dir}/${name}`, buf);
    })();
    p.catch(() => assets.delete(name));   // a failed fetch may be retried on the next render
    assets.set(name, p);
  }
  return assets.get(name);
}

async function ensureDemo(key, src, source) {
  if (source === undefined) {
    if (loaded.has(key)) return;
    source = await fetchText(src);
  } else if (loaded.get(key) === source) {
    return;
  }
  const fn = py.globals.get("_fg_load");
  try {
    fn(key, source, `${key.split(":").pop()}.py`);
  } catch (e) {
    throw new Error(firstLine(e));
  } finally {
    fn.destroy();
  }
  loaded.set(key, source);
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === "boot") {
    startBoot(m.cfg);
    try {
      const ms = await booting;
      self.postMessage({ type: "booted", ms });
    } catch (e) {
      self.postMessage({ type: "boot-error", error: String((e && e.message) || e) });
    }
    return;
  }
  if (m.type !== "render") return;
  try {
    await booting;
    await ensureDemo(m.key, m.src, m.source);
    await Promise.all((m.assets || []).map((a) => ensureAsset(a.name, a.url)));
    self.postMessage({ type: "begin", id: m.id });
    const render = py.globals.get("_fg_render");
    let json;
    const t0 = performance.now();
    try {
      json = render(m.key, JSON.stringify(m.values));
    } finally {
      render.destroy();
    }
    self.postMessage({ type: "result", id: m.id, json, pyMs: performance.now() - t0 });
  } catch (e) {
    self.postMessage({ type: "error", id: m.id, error: String((e && e.message) || e) });
  }
};
