// Shows what tfmatrix worked out (window.TFMATRIX, written by `nox -s report`): every answer is computed
// there, by the code `tfmatrix lookup` answers with. This script only picks and displays, and puts text in
// the page as text (textContent), never as HTML.
"use strict";

const DATA = window.TFMATRIX;
const $ = (id) => document.getElementById(id);
const ENV_INDEX = new Map(DATA.environments.map((env, i) => [env.id, i]));
const ENVS = new Map(DATA.environments.map((env) => [env.id, env]));
const QUESTIONS = new Map(DATA.questions.map((q) => [q.id, q]));

// An element with children: strings become text nodes, never markup.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== "") node.append(child);
  }
  return node;
}

// Prose with `code` spans, as the reports write it: the spans as <code>, the rest as text.
function prose(text) {
  const parts = String(text).split("`");
  return parts.map((part, i) => (i % 2 === 1 && i < parts.length - 1 ? el("code", {}, part) : part));
}

// The class a verdict's cell is coloured by: works, wrong, raises, unseen, failed or na.
function tone(verdict) {
  if (verdict.includes("works")) return "works";
  if (verdict.includes("silently wrong")) return "wrong";
  if (verdict.includes("raises")) return "raises";
  if (verdict.includes("no evidence")) return "unseen";
  if (verdict === "n/a") return "na";
  return "failed";
}

// Versions as the URL may give them: "3.8" is 3.8.0, a local label ("+nv24.03") is left out.
function parts(version) {
  return String(version).split(/[+ ]/)[0].split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));  // "+" reads as " " in a query
}
// Whether a version asked for is one a setup answers for: its track's clauses, "<3" or ">=3" ("": any). A version
// that is no version is left to be refused as unknown.
function admits(spec, version) {
  if (!spec || parts(version).some(Number.isNaN)) return true;
  const held = { "<": (c) => c < 0, "<=": (c) => c <= 0, ">": (c) => c > 0, ">=": (c) => c >= 0, "==": (c) => c === 0, "!=": (c) => c !== 0 };
  return spec.split(",").every((clause) => {
    const [, op, bound] = clause.trim().match(/^(<=|>=|==|!=|<|>)\s*(.+)$/) || [];
    return !op || held[op](compare(version, bound));
  });
}
function same(a, b) {
  const x = parts(a), y = parts(b);
  if (x.some(Number.isNaN) || y.some(Number.isNaN)) return false;
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return false;
  return true;
}

const state = { setup: 0, yours: null, to: null, view: "setup", recipe: null, open: null };

function setup() { return DATA.setups[state.setup]; }
function answerOf(version) {
  const found = setup().versions.find(([v]) => v === version);
  return found ? DATA.answers[found[1]] : null;
}
function setupName(s, version) {
  return s.named.replace("{}", () => version);
}
// A value from the URL, as a message may quote it: short, and plainly quoted.
function quoted(value) {
  const text = String(value);
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}

// Read the choice from the URL: ?tf=2.15.0, ?tf=2.16.2&tf-keras=1, ?keras=3.8&backend=jax; &to=, &view=, &recipe=.
// A setup is asked for by its version's name and its other names: the one that has the most of those asked,
// else the first whose other names are not asked.
function fromUrl() {
  const params = new URLSearchParams(window.location.search);
  const problems = [];
  let asked = null;
  const named = DATA.setups.map((s) => Object.entries(s.asks));
  const asksFor = (i) => named[i].find(([, v]) => v === "")[0];  // the name that gives its version
  const candidates = DATA.setups.map((s, i) => i).filter((i) => params.has(asksFor(i)) && admits(DATA.setups[i].answers, params.get(asksFor(i))));
  const fits = (i) => named[i].every(([n, v]) => v === "" || params.get(n) === v);
  const defaults = (i) => named[i].every(([n, v]) => v === "" || !params.has(n) || params.get(n) === v);
  const most = (found) => found.sort((a, b) => named[b].length - named[a].length)[0];
  const found = most(candidates.filter(fits)) ?? candidates.find(defaults);
  if (found !== undefined) {
    state.setup = found;
    asked = params.get(asksFor(found));
  } else if (candidates.length) {
    const [name] = named[candidates[0]].find(([n, v]) => v !== "" && params.has(n));
    const known = [...new Set(candidates.map((i) => DATA.setups[i].asks[name]))].join(", ");
    problems.push(`No setup with ${name} ${quoted(params.get(name))} was probed: pick one of ${known}.`);
  }
  const versions = setup().versions.map(([v]) => v);
  state.yours = versions[versions.length - 1];
  state.to = versions[versions.length - 1];
  for (const [name, value] of [["yours", asked], ["to", params.get("to")]]) {
    if (value === null) continue;
    const match = versions.find((v) => same(v, value));
    if (match) state[name] = match;
    else problems.push(`${setup().title}: ${quoted(value)} is not a release the matrix knows of (it knows ${versions[0]} to ${versions[versions.length - 1]}): showing ${state[name]}.`);
  }
  if (params.get("view") === "recipe") state.view = "recipe";
  state.recipe = QUESTIONS.has(params.get("recipe")) ? params.get("recipe") : DATA.questions[0].id;
  return problems;
}

function toUrl() {
  const params = new URLSearchParams();
  const s = setup();
  for (const [name, value] of Object.entries(s.asks)) params.set(name, value || state.yours);
  if (state.to !== state.yours) params.set("to", state.to);
  if (state.view === "recipe") { params.set("view", "recipe"); params.set("recipe", state.recipe); }
  window.history.replaceState(null, "", `?${params}`);
}

function fillPickers() {
  const setups = $("yours-setup");
  setups.replaceChildren(...DATA.setups.map((s, i) => el("option", { value: String(i) }, s.title)));
  setups.value = String(state.setup);
  for (const [id, chosen] of [["yours-version", state.yours], ["to-version", state.to]]) {
    const picker = $(id);
    picker.replaceChildren(...setup().versions.map(([v]) => el("option", { value: v }, v)));
    picker.value = chosen;
  }
}

// The first two cases and how many more, as lookup names them.
function some(cases) {
  return cases.slice(0, 2).join(", ") + (cases.length > 2 ? ` and ${cases.length - 2} more` : "");
}

// The fix a cell shows: the first that a probed case verifies (else the first there is), and its status.
function firstFix(recipe) {
  const fixes = recipe.fixes.map((i) => DATA.fixes[i]);
  const fix = fixes.find((f) => f.status !== "no fix") || fixes[0];
  if (!fix) return [];
  const status = fix.status === "verified" ? ` (verified on ${fix.verified_on})` : fix.status === "no fix" ? "" : ` (${fix.status})`;
  return [...prose(fix.do), status];
}

// "4 of 6 ways work": how many of the recipe's cases that can be done there work, where not all do.
function tally(counts) {
  const total = Object.entries(counts).filter(([v]) => v !== "n/a").reduce((a, [, n]) => a + n, 0);
  const works = Object.entries(counts).filter(([v]) => v.includes("works")).reduce((a, [, n]) => a + n, 0);
  return works === total ? "" : `${works} of ${total} ways work`;
}

function cell(recipe, answer, column) {
  const label = column === "yours" ? `Yours: ${state.yours}` : `Upgrade to ${state.to}`;
  if (!recipe) return el("td", { className: "na", "data-label": label }, el("span", { className: "note" }, "not probed on this setup"));
  const fix = recipe.verdict.includes("works") ? [] : firstFix(recipe);
  const button = el(
    "button",
    { type: "button", className: "cell", "data-question": recipe.id, "data-column": column, "aria-label": `${recipe.verdict}: open the cases, fixes and changes behind it` },
    el("span", { className: "verdict" }, recipe.verdict, recipe.guess ? " (a guess)" : ""),
    el("span", { className: "note" }, tally(recipe.counts)),
    fix.length ? el("span", { className: "fix" }, "→ ", fix) : "",
    recipe.note ? el("span", { className: "note" }, recipe.note) : "",
  );
  button.addEventListener("click", () => openDetails(recipe.id, column));
  return el("td", { className: tone(recipe.verdict), "data-label": label }, button);
}

function renderGrid() {
  const yours = answerOf(state.yours), to = answerOf(state.to);
  $("yours-head").replaceChildren(`Yours: ${setupName(setup(), state.yours)}`, el("span", { className: "note" }, yours.probed || yours.problem));
  $("to-head").replaceChildren(`Upgrade to ${state.to}`, el("span", { className: "note" }, to.probed || to.problem));
  const rows = DATA.questions.map((q) => {
    const mine = yours.recipes.find((r) => r.id === q.id), theirs = to.recipes.find((r) => r.id === q.id);
    if (!mine && !theirs) return null;
    const changes = mine && theirs && mine.verdict !== theirs.verdict;
    return el("tr", { className: changes ? "changes" : "", "data-question": q.id },
      el("th", { scope: "row" }, prose(q.question)), cell(mine, yours, "yours"), cell(theirs, to, "to"));
  });
  $("grid").tBodies[0].replaceChildren(...rows.filter(Boolean));
  renderUpgrade(yours, to);
}

function renderUpgrade(yours, to) {
  const section = $("upgrade");
  if (state.yours === state.to) { section.replaceChildren(); return; }
  const changed = DATA.questions.filter((q) => {
    const a = yours.recipes.find((r) => r.id === q.id), b = to.recipes.find((r) => r.id === q.id);
    return a && b && a.verdict !== b.verdict;
  });
  const between = yours.upgrade.filter((c) => compare(c.version, state.to) <= 0);  // those that come by then
  section.replaceChildren(
    el("h2", {}, changed.length ? `If you upgrade to ${state.to}, ${changed.length} of these rows change` : `Upgrading to ${state.to} changes no row's verdict`),
    between.length ? el("ul", {}, between.map((c) => el("li", {}, `${c.where}: `, prose(DATA.changes[c.change].summary || "not yet explained")))) : "",
  );
}

function compare(a, b) {
  const x = parts(a), y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  return 0;
}

function openDetails(questionId, column) {
  state.open = [questionId, column];
  const version = column === "yours" ? state.yours : state.to;
  const answer = answerOf(version);
  const q = QUESTIONS.get(questionId);
  const recipe = answer.recipes.find((r) => r.id === questionId);
  const panel = $("details");
  const envs = answer.answered_from.map((id) => ENVS.get(id));
  const caseRows = [];
  for (const env of envs) {
    for (const [caseId, byEnv] of Object.entries(DATA.cases[questionId])) {
      const found = byEnv[ENV_INDEX.get(env.id)];
      if (found === undefined || found < 0) continue;
      const f = DATA.findings[found];
      const aspects = Object.entries(f.aspects).map(([name, value]) => `${name}: ${value}`).join("; ");
      caseRows.push(el("tr", {}, el("td", {}, el("code", {}, caseId)), el("td", {}, env.label), el("td", { className: tone(f.verdict) }, el("span", { className: "verdict" }, f.verdict)), el("td", {}, f.why || ""), el("td", {}, aspects)));
    }
  }
  const fixes = recipe ? recipe.fixes.map((i) => DATA.fixes[i]) : [];
  const changes = Object.values(DATA.changes).filter((c) => c.questions.includes(questionId) && c.first_seen.some((s) => ENVS.get(s.environment).track === setup().track));
  const firstCase = Object.keys(DATA.cases[questionId])[0];
  const repro = DATA.repro.replace("CASE", () => firstCase).replace("VARIANT", () => envs[0].id).replace("PROBE", () => q.probe);
  panel.replaceChildren(
    el("h2", {}, prose(q.question), ` — ${setupName(setup(), version)}`),
    el("p", {}, el("strong", {}, "What its user means: "), prose(q.means)),
    recipe ? el("p", { className: tone(recipe.verdict) }, el("span", { className: "verdict" }, recipe.verdict), ` ${tally(recipe.counts)}`, recipe.note ? ` (${recipe.note})` : "") : "",
    el("h3", {}, "What to do"),
    fixes.length ? el("ul", {}, fixes.map((f) => el("li", {}, f.for && f.for.length ? `For ${some(f.for)}: ` : "", prose(f.do), f.status === "verified" ? ` Verified: ${f.cases.join(", ")} on ${f.verified_on}.` : f.status === "no fix" ? "" : ` (${f.status})`))) : el("p", {}, "Nothing: it works."),
    el("h3", {}, `The cases behind it (${caseRows.length})`),
    el("table", {}, el("thead", {}, el("tr", {}, ["case", "release", "verdict", "why", "what each part did"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, caseRows)),
    el("h3", {}, "Where it changed on this setup"),
    changes.length ? el("ul", {}, changes.map(changeItem)) : el("p", {}, "No change point on this setup."),
    el("h3", {}, "Reproduce it (in a checkout, with uv)"),
    el("pre", {}, repro),
    el("p", {}, el("a", { href: reportLink(q.reports[ENVS.get(envs[0].id).track.startsWith("keras") ? "keras" : "tensorflow"] || Object.values(q.reports)[0]) }, "The full report"), " · ", closeButton()),
  );
  panel.hidden = false;
  panel.focus();
}

// A report, where its headings have anchors: on GitHub Pages, the repository's copy on GitHub (the page's own
// site serves the markdown as text); elsewhere (a checkout, file://), the file beside the page.
function reportLink(report) {
  const { hostname, pathname } = window.location;
  if (hostname.endsWith(".github.io")) {
    const owner = hostname.slice(0, -".github.io".length), repository = pathname.split("/")[1];
    return `https://github.com/${owner}/${repository}/blob/HEAD/reports/${report}`;
  }
  return `../${report}`;
}

function changeItem(change) {
  const seen = change.first_seen.filter((s) => ENVS.get(s.environment).track === setup().track);
  const where = seen.map((s) => {
    const found = s.pinpointed;
    if (found) return `first in ${found.first.version}${found.first.released_on ? ` (${found.first.released_on})` : ""}, after ${found.last_old.version}`;
    const env = ENVS.get(s.environment);
    return `first seen in ${env.label}${env.released_on ? ` (${env.released_on})` : ""}, after ${ENVS.get(s.after).label}`;
  });
  return el("li", {}, el("strong", {}, prose(change.summary || "Not yet explained")), ` — ${where.join("; ")}.`,
    change.advice ? el("div", {}, "What to do: ", prose(change.advice)) : "",
    change.evidence.length ? el("details", {}, el("summary", {}, "Evidence"), el("ul", {}, change.evidence.map((e) => el("li", {}, prose(e))))) : "",
    change.repro.length ? el("pre", {}, change.repro.join("\n")) : "");
}

function closeButton() {
  const button = el("button", { type: "button" }, "Close");
  button.addEventListener("click", () => closeDetails(true));
  return button;
}

// Close the details; ``back``: focus the cell they were opened from (not when the grid is about to be redrawn).
function closeDetails(back = false) {
  const open = state.open;
  state.open = null;
  $("details").hidden = true;
  if (open && back) {
    const back = document.querySelector(`button.cell[data-question="${CSS.escape(open[0])}"][data-column="${open[1]}"]`);
    if (back) back.focus();
  }
}

// One recipe across every release of every setup, caniuse's way: runs of releases alike merged into one column.
function renderRecipe() {
  const q = QUESTIONS.get(state.recipe);
  $("recipe").value = state.recipe;
  $("recipe-means").replaceChildren(el("strong", {}, "What its user means: "), prose(q.means));
  const tables = DATA.setups.map((s) => {
    const envs = DATA.environments.filter((env) => env.track === s.track && q.leads[env.id]);
    const runs = [];
    for (const env of envs) {
      const last = runs[runs.length - 1];
      const said = tally(q.outcomes[env.id]);
      if (last && last.lead === q.leads[env.id] && last.said === said) last.envs.push(env);
      else runs.push({ lead: q.leads[env.id], said, envs: [env] });
    }
    if (!runs.length) return null;
    const disagree = (env) => DATA.environments.some((other) => other.version === env.version && other.track !== env.track && other.track.startsWith("keras") && env.track.startsWith("keras") && q.leads[other.id] && q.leads[other.id] !== q.leads[env.id]);
    return el("div", { className: "runs" }, el("table", {},
      el("caption", {}, s.title),
      el("tbody", {}, el("tr", {}, runs.map((run) => {
        const first = run.envs[0].label, last = run.envs[run.envs.length - 1].label;
        const odd = run.envs.some(disagree);
        return el("td", { className: tone(run.lead) }, el("span", { className: "verdict" }, run.lead),
          el("span", { className: "note" }, run.said),
          el("span", { className: "note" }, first === last ? first : `${first} – ${last}`),
          odd ? el("span", { className: "note" }, "backends disagree here") : "");
      })))));
  });
  $("recipe-table").replaceChildren(...tables.filter(Boolean));
}

function show() {
  const recipeView = state.view === "recipe";
  $("setup-view").hidden = recipeView;
  $("recipe-view").hidden = !recipeView;
  $("view-setup").setAttribute("aria-pressed", String(!recipeView));
  $("view-recipe").setAttribute("aria-pressed", String(recipeView));
  if (recipeView) renderRecipe();
  else renderGrid();
  toUrl();
}

function start() {
  if (!DATA.setups.length) {  // only a nightly, or nothing, probed yet
    $("message").hidden = false;
    $("message").textContent = "No release has been probed yet: `nox -t matrix` probes them.";
    $("setup-view").hidden = true;
    return;
  }
  const problems = fromUrl();
  const message = $("message");
  message.hidden = !problems.length;
  message.textContent = problems.join(" ");
  fillPickers();
  $("recipe").replaceChildren(...DATA.questions.map((q) => el("option", { value: q.id }, q.question.replace(/`/g, ""))));
  $("provenance").textContent = `Every cell comes from a real run of real releases, probed up to ${DATA.probed_on}; answers for releases not probed say which probed ones they come from.`;
  $("yours-setup").addEventListener("change", (event) => {
    state.setup = Number(event.target.value);
    const versions = setup().versions.map(([v]) => v);
    state.yours = state.to = versions[versions.length - 1];
    closeDetails();
    fillPickers();
    show();
  });
  $("yours-version").addEventListener("change", (event) => { state.yours = event.target.value; closeDetails(); show(); });
  $("to-version").addEventListener("change", (event) => { state.to = event.target.value; closeDetails(); show(); });
  $("recipe").addEventListener("change", (event) => { state.recipe = event.target.value; show(); });
  $("view-setup").addEventListener("click", () => { state.view = "setup"; show(); });
  $("view-recipe").addEventListener("click", () => { state.view = "recipe"; closeDetails(); show(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !$("details").hidden) closeDetails(true); });
  show();
}

start();
