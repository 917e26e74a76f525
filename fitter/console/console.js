// fitter console: pick an original, set parameters, see the variant. No build step.
// Every URL shown or fetched is signed by the server (/console/api/sign): no key here.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { path: null, next: null, settings: null, render: 0 };
// Which parameters apply to each mode; the rest are hidden and not sent.
const FIELDS = {
  thumbnail: ["width", "height", "fit", "gravity"],
  resize: ["width", "height", "fit", "gravity"],
  crop: ["width", "height", "gravity"],
  flip: ["direction"],
  rotate: ["degree"],
};
const ALWAYS = ["format", "quality"];

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

async function json(url, options) {
  const answer = await fetch(url, options);
  let body = null;
  try { body = await answer.json(); } catch { body = null; }
  return { ok: answer.ok, status: answer.status, body };
}

function problems(body) {
  const errors = (body && body.errors) || [];
  return errors.map((e) => (e.param ? `${e.param}: ${e.message}` : e.message)).join("; ") || "failed";
}

async function sign(urls) {
  const answer = await json("/console/api/sign", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ urls }),
  });
  if (!answer.ok) throw new Error(problems(answer.body));
  return answer.body.urls;
}

function query(params) {
  return new URLSearchParams(params).toString();
}

function humanBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

// ---- the list of originals -------------------------------------------------------------

async function loadImages(append) {
  const params = { q: $("filter").value.trim(), limit: "50" };
  if (append && state.next) params.after = state.next;
  const status = $("list-status");
  status.textContent = "Loading…";
  status.classList.remove("bad");
  const answer = await json(`/console/api/images?${query(params)}`);
  if (!answer.ok) {
    status.textContent = problems(answer.body);
    status.classList.add("bad");
    return;
  }
  const list = $("image-list");
  if (!append) list.replaceChildren();
  for (const path of answer.body.images) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = path;
    button.dataset.path = path;
    if (path === state.path) button.setAttribute("aria-current", "true");
    button.addEventListener("click", () => select(path));
    item.append(button);
    list.append(item);
  }
  state.next = answer.body.next;
  $("more").hidden = !state.next;
  const count = list.children.length;
  status.textContent = count ? `${count} shown${state.next ? ", more below" : ""}` : "No images match.";
}

// ---- the chosen original -----------------------------------------------------------------

async function select(path) {
  state.path = path;
  history.replaceState(null, "", `#${encodeURIComponent(path)}`);
  for (const button of $("image-list").querySelectorAll("button")) {
    if (button.dataset.path === path) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  $("original-path").textContent = path;
  const table = $("info");
  table.replaceChildren();
  const original = $("original");
  try {
    const [info, image] = await sign([
      `/info?${query({ path })}`,
      `/image?${query({ path, width: "600", height: "600", fit: "inside", upscale: "false" })}`,
    ]);
    original.src = image;
    original.alt = `Original: ${path}`;
    original.hidden = false;
    const answer = await json(info);
    if (state.path !== path) return;
    const rows = answer.ok ? Object.entries(answer.body) : [["error", problems(answer.body)]];
    for (const [name, value] of rows) {
      const row = table.insertRow();
      const head = document.createElement("th");
      head.textContent = name;
      row.append(head);
      row.insertCell().textContent = name === "bytes" ? `${value} (${humanBytes(value)})` : String(value);
    }
  } catch (error) {
    original.hidden = true;
    $("original-path").textContent = `${path}: ${error.message}`;
  }
  render();
}

// ---- the variant ---------------------------------------------------------------------------

function parameters() {
  const form = $("params");
  const mode = form.elements.mode.value;
  const wanted = [...FIELDS[mode], ...ALWAYS];
  for (const name of ["width", "height", "fit", "gravity", "direction", "degree"]) {
    form.elements[name].closest("label").hidden = !wanted.includes(name);
  }
  const params = { path: state.path, mode };
  for (const name of wanted) {
    const value = form.elements[name].value.trim();
    if (value !== "") params[name] = value;
  }
  return params;
}

function showUrls(urls) {
  const list = $("urls");
  list.replaceChildren();
  for (const [name, url] of urls) {
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = new URL(url, location.href).href;
    detail.append(link);
    list.append(term, detail);
  }
}

async function render() {
  if (!state.path) return;
  const turn = ++state.render;
  const q = query(parameters());
  const preview = $("preview");
  const status = $("preview-status");
  let urls;
  try {
    urls = await sign([`/image?${q}`, `/get?${q}`, `/redirect?${q}`]);
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("bad");
    return;
  }
  if (turn !== state.render) return;
  const [image, get, redirect] = urls;
  showUrls([["/image", image], ["/get", get], ["/redirect", redirect]]);
  status.textContent = "Loading…";
  status.classList.remove("bad");
  preview.onload = () => {
    if (turn === state.render) status.textContent = "";
  };
  preview.onerror = () => {
    if (turn !== state.render) return;
    preview.hidden = true;
    status.textContent = "No preview: see the /get answer below.";
    status.classList.add("bad");
  };
  preview.hidden = false;
  preview.src = image;
  const answer = await json(get);
  if (turn !== state.render) return;
  $("get-json").textContent = JSON.stringify(answer.body, null, 2);
  const stats = $("stats");
  if (answer.ok) {
    const v = answer.body;
    stats.textContent = `${v.width} × ${v.height} px · ${v.format} · ${humanBytes(v.bytes)} (${v.bytes} bytes)`;
    stats.classList.remove("bad");
  } else {
    stats.textContent = `${answer.status}: ${problems(answer.body)}`;
    stats.classList.add("bad");
  }
}

// ---- uploads -------------------------------------------------------------------------------

async function upload(file) {
  const status = $("upload-status");
  status.classList.remove("bad");
  const path = $("upload-path").value.trim() || file.name;
  status.textContent = `Uploading ${path}…`;
  try {
    const [url] = await sign([`/upload?${query({ path })}`]);
    const form = new FormData();
    form.append("file", file, file.name);
    const answer = await json(url, { method: "POST", body: form });
    if (!answer.ok) throw new Error(problems(answer.body));
    const kept = answer.body;
    status.textContent = `Uploaded ${kept.path} (${kept.width} × ${kept.height} ${kept.format}, ${humanBytes(kept.bytes)})`;
    $("filter").value = kept.path;
    $("upload-path").value = "";
    await loadImages(false);
    await select(kept.path);
  } catch (error) {
    status.textContent = `Upload failed: ${error.message}`;
    status.classList.add("bad");
  }
}

function setUpUploads() {
  $("upload").hidden = false;
  const drop = $("drop");
  $("file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) upload(file).finally(() => { event.target.value = ""; });
  });
  for (const name of ["dragenter", "dragover"]) {
    document.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    document.addEventListener(name, (event) => {
      event.preventDefault();
      if (name === "drop" || event.target === drop) drop.classList.remove("over");
    });
  }
  document.addEventListener("drop", (event) => {
    const [file] = event.dataTransfer.files;
    if (file) upload(file);
  });
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  const answer = await json("/console/api/settings");
  state.settings = answer.body || {};
  $("server-note").textContent = state.settings.signed
    ? "URLs are signed by the server; the key never leaves it."
    : "This server answers unsigned URLs.";
  if (state.settings.upload) setUpUploads();
  $("filter").addEventListener("input", debounce(() => loadImages(false), 200));
  $("more").addEventListener("click", () => loadImages(true));
  const params = $("params");
  const later = debounce(render, 250);
  params.addEventListener("input", later);
  params.addEventListener("change", later);
  params.addEventListener("submit", (event) => event.preventDefault());
  parameters(); // shows only the fields of the first mode
  await loadImages(false);
  const chosen = decodeURIComponent(location.hash.slice(1));
  if (chosen) select(chosen);
}

start();
